-- facts.lua - the gather script's body: the facts, read only.
return numbers(gather())
