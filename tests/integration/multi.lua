-- tests/integration/multi.lua - several transactions on one milter
-- connection, as Postfix sends them: a support mail, an aborted one (RSET
-- after RCPT, and after a partial body), mail for no queue (accepted at
-- DATA), then a second support mail. Each message must get its own
-- context: the second ticket is stamped with its own number, nothing of the
-- aborted one leaks into it.
-- miltertest -D SOCK=unix:/path -s multi.lua; prints "ID1 n", "ID2 n",
-- "OTHER <reply>", "OK" at the end, or fails with an error.

local conn = mt.connect(SOCK, 50, 0.1)
if conn == nil then error("connect failed") end
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.com")
if mt.conninfo(conn, "client.example.net", "192.0.2.10") ~= nil then error("conninfo") end

local function rc() return string.char(math.floor(mt.getreply(conn) or 0)) end

local function support_mail(n, mid, subject)
	mt.macro(conn, SMFIC_MAIL, "i", "MULTI" .. n)
	if mt.mailfrom(conn, "<cust" .. n .. "@customer.test>") ~= nil then error("mailfrom") end
	if mt.rcptto(conn, "<support@example.com>") ~= nil then error("rcptto") end
	if mt.data(conn) ~= nil then error("data") end
	if rc() ~= "c" then error("support mail " .. n .. " not continued at DATA") end
	mt.header(conn, "From", "Customer " .. n .. " <cust" .. n .. "@customer.test>")
	mt.header(conn, "To", "support@example.com")
	mt.header(conn, "Subject", subject)
	mt.header(conn, "Message-ID", mid)
	mt.eoh(conn)
	mt.bodystring(conn, "Text of message " .. n .. ".\r\n")
	if mt.eom(conn) ~= nil then error("eom") end
	local r = rc()
	if r ~= "c" and r ~= "a" then error("message " .. n .. " final reply " .. r) end
	local id = mt.getheader(conn, "X-Ticket-ID", 0)
	if id == nil then error("message " .. n .. " not stamped") end
	return (id:gsub("%s", ""))
end

local id1 = support_mail(1, "<multi1@customer.test>", "First on this connection")
mt.echo("ID1 " .. id1)

-- aborted after RCPT
mt.macro(conn, SMFIC_MAIL, "i", "MULTI2")
mt.mailfrom(conn, "<evil@customer.test>")
mt.rcptto(conn, "<support@example.com>")
mt.abort(conn)
-- aborted in the middle of the body
mt.mailfrom(conn, "<evil@customer.test>")
mt.rcptto(conn, "<support@example.com>")
mt.data(conn)
mt.header(conn, "Subject", "aborted")
mt.header(conn, "X-Ticket-ID", "1")
mt.eoh(conn)
mt.bodystring(conn, "half a body")
mt.abort(conn)

-- not for a queue: accepted at DATA
mt.macro(conn, SMFIC_MAIL, "i", "MULTI3")
mt.mailfrom(conn, "<bob@customer.test>")
mt.rcptto(conn, "<colleague@example.com>")
mt.data(conn)
mt.echo("OTHER " .. rc())

local id2 = support_mail(4, "<multi4@customer.test>", "Second on this connection")
mt.echo("ID2 " .. id2)
if id1 == id2 then error("two different mails got the same ticket " .. id1) end
mt.disconnect(conn)
mt.echo("OK")
