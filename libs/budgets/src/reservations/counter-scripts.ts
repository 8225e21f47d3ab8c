/*
 * The counter store's Lua scripts (Redis runs each atomically). Keys, under the prefix P:
 *   P epoch                   when the counters may be trusted again (ms); absent: the store lost them
 *   P covered                 the durable hold horizon as last raised (ms): holds expiring later raise it first
 *   P b:<budget>:<period>     hash: spent, held (units of 10⁻⁸ USD), c/p (position of the last usage counted)
 *   P h:<budget>:<period>     zset: reservation id → expiry (ms)
 *   P a:<budget>:<period>     hash: reservation id → amount held (units)
 *   P r:<reservation>         hash: ws, amount, exp, keys (the budget counters it holds on), state
 * Numbers are integers below 2⁵³, written with %.0f so Lua never shortens them.
 */

const COMMON = `
local P = KEYS[1]
local function num(v) if v == false or v == nil then return 0 end return tonumber(v) end
local function fmt(x) return string.format('%.0f', x) end
local function purge(suffix, now)
  local b, h, a = P .. 'b:' .. suffix, P .. 'h:' .. suffix, P .. 'a:' .. suffix
  local expired = redis.call('ZRANGEBYSCORE', h, '-inf', now)
  if #expired == 0 then return end
  local held = num(redis.call('HGET', b, 'held'))
  for _, id in ipairs(expired) do
    held = held - num(redis.call('HGET', a, id))
    redis.call('HDEL', a, id)
    redis.call('ZREM', h, id)
  end
  if held < 0 then held = 0 end
  redis.call('HSET', b, 'held', fmt(held))
end
local function drop(suffix, id)
  local b, h, a = P .. 'b:' .. suffix, P .. 'h:' .. suffix, P .. 'a:' .. suffix
  local amount = redis.call('HGET', a, id)
  if amount == false then return end
  local held = num(redis.call('HGET', b, 'held')) - num(amount)
  if held < 0 then held = 0 end
  redis.call('HSET', b, 'held', fmt(held))
  redis.call('HDEL', a, id)
  redis.call('ZREM', h, id)
end
`;

/**
 * ARGV: now, id, amount, expiresAt, workspaceId, keepUntil, n, then n × (suffix, limit, budgetId, periodEnd).
 * Answers: {'OK', remaining} · {'REFUSED', budgetId, headroom} · {'LOAD', suffix…} · {'REBUILD', readyAt} · {'EXISTS'}
 * · {'COVER'} (the durable hold horizon, mirrored in P covered, must first be raised past expiresAt).
 * All or none: every budget is checked (expired holds purged first) before any is held on.
 */
export const ADMIT = `${COMMON}
local now, id, amount, exp, ws, keep, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local ready = redis.call('GET', P .. 'epoch')
if n > 0 and ready == false then return {'REBUILD', '0'} end
if n > 0 and tonumber(ready) > now then return {'REBUILD', ready} end
if redis.call('EXISTS', P .. 'r:' .. id) == 1 then return {'EXISTS'} end
if n > 0 and exp > num(redis.call('GET', P .. 'covered')) then return {'COVER'} end
local missing = {}
for i = 0, n - 1 do
  local suffix = ARGV[8 + i * 4]
  if redis.call('EXISTS', P .. 'b:' .. suffix) == 0 then missing[#missing + 1] = suffix end
end
if #missing > 0 then table.insert(missing, 1, 'LOAD') return missing end
local remaining = nil
local refused = nil
for i = 0, n - 1 do
  local suffix, limit, budget = ARGV[8 + i * 4], tonumber(ARGV[9 + i * 4]), ARGV[10 + i * 4]
  purge(suffix, now)
  local b = P .. 'b:' .. suffix
  local headroom = limit - num(redis.call('HGET', b, 'spent')) - num(redis.call('HGET', b, 'held'))
  if amount > headroom then
    if refused == nil or headroom < refused[3] then refused = {'REFUSED', budget, headroom} end
  elseif remaining == nil or headroom - amount < remaining then
    remaining = headroom - amount
  end
end
if refused ~= nil then return {'REFUSED', refused[2], fmt(refused[3])} end
local suffixes = {}
for i = 0, n - 1 do
  local suffix, periodEnd = ARGV[8 + i * 4], tonumber(ARGV[11 + i * 4])
  local b, h, a = P .. 'b:' .. suffix, P .. 'h:' .. suffix, P .. 'a:' .. suffix
  redis.call('HSET', b, 'held', fmt(num(redis.call('HGET', b, 'held')) + amount))
  redis.call('HSET', a, id, fmt(amount))
  redis.call('ZADD', h, exp, id)
  for _, key in ipairs({b, h, a}) do redis.call('PEXPIREAT', key, math.max(periodEnd, exp) + keep) end
  suffixes[#suffixes + 1] = suffix
end
local r = P .. 'r:' .. id
redis.call('HSET', r, 'ws', ws, 'amount', fmt(amount), 'exp', fmt(exp), 'keys', table.concat(suffixes, ','), 'state', 'held')
redis.call('PEXPIREAT', r, exp + keep)
return {'OK', fmt(remaining or 0)}
`;

/** ARGV: id, workspaceId. Answers 'OK' (released now or before), 'NOT_FOUND' (unknown here or another workspace's). */
export const RELEASE = `${COMMON}
local id, ws = ARGV[1], ARGV[2]
local r = P .. 'r:' .. id
local found = redis.call('HMGET', r, 'ws', 'keys', 'state')
if found[1] == false or found[1] ~= ws then return 'NOT_FOUND' end
if found[3] == 'held' and found[2] ~= '' then
  for suffix in string.gmatch(found[2], '[^,]+') do drop(suffix, id) end
end
if found[3] == 'held' then redis.call('HSET', r, 'state', 'released') end
return 'OK'
`;

/**
 * The spend reactor's step, one call per batch: ARGV commit, prepare (the batch's last position), keep,
 * n, n × (suffix, spent, periodEnd), then the ids of reservations the batch's usage commits.
 * A counter only moves forward: a write from an older position (a replaced reactor's late batch) is ignored.
 */
export const SYNC = `${COMMON}
local commit, prepare, keep, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 0, n - 1 do
  local suffix, spent, periodEnd = ARGV[5 + i * 3], ARGV[6 + i * 3], tonumber(ARGV[7 + i * 3])
  local b = P .. 'b:' .. suffix
  local c, p = num(redis.call('HGET', b, 'c')), num(redis.call('HGET', b, 'p'))
  if commit > c or (commit == c and prepare >= p) then
    redis.call('HSET', b, 'spent', spent, 'c', fmt(commit), 'p', fmt(prepare))
    if redis.call('HEXISTS', b, 'held') == 0 then redis.call('HSET', b, 'held', '0') end
    redis.call('PEXPIREAT', b, periodEnd + keep)
  end
end
local committed = 0
for i = 5 + n * 3, #ARGV do
  local id = ARGV[i]
  local r = P .. 'r:' .. id
  local found = redis.call('HMGET', r, 'keys', 'state')
  if found[2] == 'held' then
    for suffix in string.gmatch(found[1], '[^,]+') do drop(suffix, id) end
    redis.call('HSET', r, 'state', 'committed')
    committed = committed + 1
  end
end
return committed
`;

/** ARGV: suffix, spent, commit, prepare, periodEnd, keep. Creates a counter from the read model unless it exists. */
export const LOAD = `${COMMON}
local b = P .. 'b:' .. ARGV[1]
if redis.call('EXISTS', b) == 1 then return 0 end
redis.call('HSET', b, 'spent', ARGV[2], 'held', '0', 'c', ARGV[3], 'p', ARGV[4])
redis.call('PEXPIREAT', b, tonumber(ARGV[5]) + tonumber(ARGV[6]))
return 1
`;

/** ARGV: horizon. Mirrors the durable hold horizon (it only grows). */
export const COVERED = `
local P = KEYS[1]
local current = redis.call('GET', P .. 'covered')
if current == false or tonumber(current) < tonumber(ARGV[1]) then redis.call('SET', P .. 'covered', ARGV[1]) end
return 1
`;

/** ARGV: readyAt. Marks the counters trustworthy from readyAt on, unless another process did first; answers the mark. */
export const OPEN_EPOCH = `
local P = KEYS[1]
redis.call('SET', P .. 'epoch', ARGV[1], 'NX')
return redis.call('GET', P .. 'epoch')
`;
