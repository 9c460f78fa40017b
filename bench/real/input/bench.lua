-- Lua workload for bench/real: tables, strings, closures, sorting, a small JSON-ish
-- encoder and string patterns. Deterministic output (no time, no os calls).
local N = tonumber(arg and arg[1]) or 100000

-- a linear congruential generator, so every engine sees the same numbers
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return (seed // 65536) % n  -- the high bits: the low ones of a power-of-two LCG cycle
end

-- 1. sieve of Eratosthenes in a table
local function primes(limit)
  local s, count = {}, 0
  for i = 2, limit do s[i] = true end
  for i = 2, math.floor(math.sqrt(limit)) do
    if s[i] then for j = i * i, limit, i do s[j] = false end end
  end
  for i = 2, limit do if s[i] then count = count + 1 end end
  return count
end
print("primes", primes(N * 5))

-- 2. sort records by two keys
local recs = {}
for i = 1, N do recs[i] = { key = rand(1000), id = i, name = "r" .. rand(100000) } end
table.sort(recs, function(a, b)
  if a.key ~= b.key then return a.key < b.key end
  return a.id < b.id
end)
local h = 0
for i = 1, #recs, 97 do h = (h * 31 + recs[i].id) % 1000000007 end
print("sorted", recs[1].key, recs[#recs].key, h)

-- 3. string building and patterns
local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta" }
local parts = {}
for i = 1, N // 4 do parts[#parts + 1] = words[rand(#words) + 1] .. tostring(rand(1000)) end
local text = table.concat(parts, " ")
local freq = {}
for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local keys = {}
for k in pairs(freq) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", freq[k], " ") end
print()
local digits = 0
for d in text:gmatch("%d+") do digits = digits + #d end
print("digits", digits, "upper", #text:upper(), "gsub", select(2, text:gsub("a", "A")))

-- 4. closures and a tiny JSON-like encoder over nested tables
local function encode(v)
  local t = type(v)
  if t == "table" then
    if #v > 0 then
      local out = {}
      for i = 1, #v do out[i] = encode(v[i]) end
      return "[" .. table.concat(out, ",") .. "]"
    end
    local ks = {}
    for k in pairs(v) do ks[#ks + 1] = k end
    table.sort(ks)
    local out = {}
    for i, k in ipairs(ks) do out[i] = string.format("%q:%s", k, encode(v[k])) end
    return "{" .. table.concat(out, ",") .. "}"
  elseif t == "string" then return string.format("%q", v)
  else return tostring(v) end
end
local function tree(depth)
  if depth == 0 then return rand(100) end
  return { left = tree(depth - 1), right = tree(depth - 1), tag = "d" .. depth,
           list = { rand(10), rand(10), rand(10) } }
end
local json = encode(tree(12))
print("json", #json, json:sub(1, 60))

-- 5. floating point: a numeric integration with string.format
local sum = 0.0
for i = 1, N do local x = i / N; sum = sum + 4.0 / (1.0 + x * x) end
print(string.format("pi~%.10f", sum / N))
