-- tests/integration/send.lua - feed .eml files to the milter; print results.
--
-- miltertest -D SOCK=unix:/path -D LIB=.../sm.lua -D LIST=file-of-paths
--   [-D FROM=addr|<>] [-D RCPT=a,b] [-D IP=1.2.3.4] [-D AUTH=user] [-D TAG=Support]
--   -s send.lua
--
-- Each path in LIST is sent on a connection of its own. An empty FROM
-- means "the From: address of the message". Output, per message:
--   MSG <n> <path>
--   STEP <phase> <reply char>        (c continue, a accept, t tempfail,
--                                     r reject, y reply code, d discard)
--   RESULT <reply char> <phase>      the last reply and where it came
--   HDR <name>: <value>              a stamp added or inserted at EOM
--   CHG <name>: <value>              a header changed to that value
--                                     (value "?" when not among those tried)
--   DEL <name>                       a header deleted
--   SUBJECT-TAGGED yes|no            Subject became "[TAG #<X-Ticket-ID>] old"
--   END <n>
-- CR and LF inside values are printed as \r and \n, so a stamp carrying
-- them is visible to the shell test.

dofile(LIB)

local NAMES = { "X-Ticket-ID", "X-Ticket-Queue", "X-Ticket-Status",
	"X-Ticket-Priority", "X-Ticket-Due", "Reply-To", "Subject",
	"X-Support-Loop", "X-Ticket-Event", "X-Ticket-Breached" }

local function esc(s)
	return (s:gsub("\r", "\\r"):gsub("\n", "\\n"))
end

local rcpts = {}
for r in (RCPT or "support@example.com"):gmatch("[^,%s]+") do
	rcpts[#rcpts + 1] = r
end

-- Candidate values for headers the filter changed in place (miltertest
-- only answers "was it changed to exactly V?").
local function candidates(name, id)
	local c = {}
	local n = name:lower()
	if n == "x-ticket-id" then
		for i = 1, 2000 do c[#c + 1] = tostring(i) end
	elseif n == "x-ticket-status" then
		c = { "new", "open", "pending", "resolved", "closed" }
	elseif n == "x-ticket-priority" then
		c = { "urgent", "high", "normal", "low" }
	elseif n == "x-ticket-queue" then
		c = { "support" }
	elseif n == "reply-to" then
		c = { "support@example.com", "<support@example.com>",
			"Example Support <support@example.com>",
			"\"Example Support\" <support@example.com>" }
	end
	return c
end

-- smfi_chgheader names match case-insensitively in the MTA, but miltertest
-- compares exactly: try the spellings a filter may use.
local function spellings(name)
	local t = { name, name:lower(), name:upper() }
	t[#t + 1] = name:lower():gsub("(%a)([%w]*)", function(a, b) return a:upper() .. b end)
	return t
end

local function eom_any(conn, op, name, value)
	for _, n in ipairs(spellings(name)) do
		if value == nil then
			if mt.eom_check(conn, op, n) then return true end
		elseif mt.eom_check(conn, op, n, value) then
			return true
		end
	end
	return false
end

local n = 0
for path in io.lines(LIST) do
	if path ~= "" then
		n = n + 1
		mt.echo("MSG " .. n .. " " .. path)
		local headers, body = sm.read_eml(path)
		local from = FROM
		if from == nil or from == "" then
			from = sm.addr(sm.header(headers, "From"))
		end
		local res = sm.send(SOCK, { headers = headers, body = body,
			from = from, rcpts = rcpts, ip = IP, auth = AUTH, seq = n })
		for _, s in ipairs(res.steps) do
			mt.echo("STEP " .. s[1] .. " " .. s[2])
		end
		mt.echo("RESULT " .. (res.reply or "-") .. " " .. (res.phase or "-"))
		local conn = res.conn
		if res.phase == "eom" then
			local id = nil
			for _, name in ipairs(NAMES) do
				for i = 0, 3 do
					local v = mt.getheader(conn, name, i)
					if v == nil then break end
					if name == "X-Ticket-ID" and id == nil then
						id = v:gsub("^%s+", ""):gsub("%s+$", "")
					end
					mt.echo("HDR " .. name .. ": " .. esc(v))
				end
				if eom_any(conn, MT_HDRDELETE, name) then
					mt.echo("DEL " .. name)
				end
				-- a deletion is a change to "": look for real values first
				local found = nil
				for _, v in ipairs(candidates(name, id)) do
					if eom_any(conn, MT_HDRCHANGE, name, v) or
					    eom_any(conn, MT_HDRCHANGE, name, " " .. v) then
						found = v
						break
					end
				end
				if found == nil then
					for _, sp in ipairs(spellings(name)) do
						if mt.eom_check(conn, MT_HDRCHANGE, sp) and
						    not mt.eom_check(conn, MT_HDRCHANGE, sp, "") then
							found = "?"
						end
					end
				end
				if found ~= nil then
					if found ~= "?" and name == "X-Ticket-ID" and id == nil then
						id = found
					end
					mt.echo("CHG " .. name .. ": " .. found)
				end
			end
			local subj = sm.header(headers, "Subject")
			local tagged = "no"
			if id ~= nil then
				local want = "[" .. (TAG or "Support") .. " #" .. id .. "] " .. (subj or "")
				local want2 = "[" .. (TAG or "Support") .. " #" .. id .. "]"
				for _, w in ipairs({ want, " " .. want, want2, " " .. want2 }) do
					if eom_any(conn, MT_HDRCHANGE, "Subject", w) or
					    mt.eom_check(conn, MT_HDRADD, "Subject", w) or
					    mt.eom_check(conn, MT_HDRINSERT, "Subject", w) then
						tagged = "yes"
					end
				end
				-- a subject that already carries the tag is left alone
				if subj ~= nil and subj:find("[" .. (TAG or "Support") .. " #" .. id .. "]", 1, true)
				    and not eom_any(conn, MT_HDRCHANGE, "Subject") then
					tagged = "yes"
				end
			end
			mt.echo("SUBJECT-TAGGED " .. tagged)
		end
		mt.disconnect(conn)
		mt.echo("END " .. n)
	end
end
