-- get.lua - tickets by id (read only). ARGV: the GET group of argv.def.
local out = {}
for i = GET_IDS, #ARGV do out[#out + 1] = fetch(ARGV[i], ARGV[GET_WITH_MESSAGES] == '1') end
return out
