-- tests/integration/sm.lua - helpers for miltertest scripts (Lua 5.3).
--
-- Loaded with dofile(LIB). Interface:
--   sm.read_eml(path) -> headers, body    headers: list of {name, value}
--       (folded lines joined with "\n" as Postfix passes them to milters;
--       the body with CRLF line ends, as an MTA sends it)
--   sm.addr(s)       -> first address in a header value ("" when none)
--   sm.send(sock, msg) -> result table; msg = {headers=, body=, from=,
--       rcpts={...}, ip=, host=, auth=}. The result: steps (list of
--       {phase, reply char}), reply (final char), phase (where it stopped),
--       conn (for eom_check; already disconnected).
--   sm.rc(n)         -> reply char for an SMFIR_* number ("c", "a", "t"...)
--
-- How it fails: a broken protocol step raises a Lua error (miltertest then
-- exits non-zero); a refusal by the filter is a result, not an error.

sm = {}

function sm.rc(n)
	if n == nil or n == 0 then return "-" end
	return string.char(math.floor(n))
end

function sm.read_file(path)
	local f, err = io.open(path, "rb")
	if f == nil then error("cannot open " .. path .. ": " .. tostring(err)) end
	local s = f:read("a")
	f:close()
	return s
end

-- miltertest copies a header into a 1024-byte buffer unchecked: longer
-- fields would crash it, and so would a reply (a changed Subject) that
-- outgrows it: fields are cut to 900 bytes (and reported) rather than sent.
local MAXHDR = 900

function sm.read_eml(path)
	local raw = sm.read_file(path)
	raw = raw:gsub("\r\n", "\n"):gsub("%z", "")
	local head, body = raw:match("^(.-)\n\n(.*)$")
	if head == nil then head, body = raw, "" end
	local headers = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #headers > 0 then
			local h = headers[#headers]
			h[2] = h[2] .. "\n" .. line
		else
			local name, value = line:match("^([^:%s]+):[ \t]*(.*)$")
			if name ~= nil then
				headers[#headers + 1] = { name, value }
			elseif line ~= "" then
				mt.echo("WARN not a header line in " .. path .. ": " .. line:sub(1, 60))
			end
		end
	end
	for _, h in ipairs(headers) do
		if #h[1] + #h[2] + 2 > MAXHDR then
			mt.echo("WARN header " .. h[1] .. " cut to fit miltertest")
			h[2] = h[2]:sub(1, MAXHDR - #h[1] - 2)
		end
	end
	body = body:gsub("\n", "\r\n")
	return headers, body
end

function sm.header(headers, name)
	for _, h in ipairs(headers) do
		if h[1]:lower() == name:lower() then return h[2] end
	end
	return nil
end

function sm.addr(s)
	if s == nil then return "" end
	local a = s:match("<([^<>]*)>")
	if a ~= nil then return a end
	a = s:match("([^%s<>\",;:()]+@[^%s<>\",;:()]+)")
	return a or ""
end

-- Run one protocol step unless the filter switched it off at negotiation.
local function step(res, conn, phase, noopt, fn, ...)
	if noopt ~= nil and mt.test_option(conn, noopt) then
		return true
	end
	local err = fn(conn, ...)
	if err ~= nil then error(phase .. ": " .. tostring(err)) end
	local r = sm.rc(mt.getreply(conn))
	res.steps[#res.steps + 1] = { phase, r }
	res.reply, res.phase = r, phase
	return r == "c"
end

function sm.send(sock, msg)
	local res = { steps = {} }
	local conn = mt.connect(sock, 50, 0.1)
	if conn == nil then error("mt.connect(" .. sock .. ") failed") end
	res.conn = conn
	local e = mt.negotiate(conn, nil, nil, nil)
	if e ~= nil then error("negotiate: " .. e) end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.com", "{daemon_name}", "smtpd")
	if not step(res, conn, "connect", SMFIP_NOCONNECT, mt.conninfo,
	    msg.host or "client.example.net", msg.ip or "192.0.2.10") then
		return res
	end
	if not step(res, conn, "helo", SMFIP_NOHELO, mt.helo, msg.host or "client.example.net") then
		return res
	end
	if msg.auth ~= nil and msg.auth ~= "" then
		mt.macro(conn, SMFIC_MAIL, "i", "4TESTQ" .. (msg.seq or 0),
		    "{auth_authen}", msg.auth, "{auth_type}", "PLAIN")
	else
		mt.macro(conn, SMFIC_MAIL, "i", "4TESTQ" .. (msg.seq or 0))
	end
	local from = msg.from
	if from == "" or from == "<>" then from = "<>" else from = "<" .. from .. ">" end
	if not step(res, conn, "mail", SMFIP_NOMAIL, mt.mailfrom, from) then
		return res
	end
	for i, r in ipairs(msg.rcpts) do
		mt.macro(conn, SMFIC_RCPT, "i", "4TESTQ" .. (msg.seq or 0))
		if not step(res, conn, "rcpt" .. i, SMFIP_NORCPT, mt.rcptto, "<" .. r .. ">") then
			return res
		end
	end
	if not step(res, conn, "data", SMFIP_NODATA, mt.data) then return res end
	for _, h in ipairs(msg.headers) do
		if not step(res, conn, "header", SMFIP_NOHDRS, mt.header, h[1], h[2]) then
			return res
		end
	end
	if not step(res, conn, "eoh", SMFIP_NOEOH, mt.eoh) then return res end
	local body = msg.body or ""
	local pos = 1
	while pos <= #body do
		-- a milter body chunk is at most 65535 bytes
		local chunk = body:sub(pos, pos + 65534)
		pos = pos + #chunk
		if not step(res, conn, "body", SMFIP_NOBODY, mt.bodystring, chunk) then
			-- SMFIR_SKIP: the filter wants no more body; the MTA goes
			-- straight on to end of message, as Postfix does
			if res.reply ~= "s" then return res end
			break
		end
	end
	step(res, conn, "eom", nil, mt.eom)
	return res
end

return sm
