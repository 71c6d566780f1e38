/**
 * The Lua scripts, each atomic on one slot (every key it names shares a hash tag). ioredis sends
 * them by SHA and re-sends the source when Redis answers NOSCRIPT (after a restart or a
 * SCRIPT FLUSH), so a Redis that comes back needs no help from us.
 */

/**
 * Token get-or-lock. KEYS: value, lock, rejected mark. ARGV: owner id, lock ms.
 * → {1, data} a token is held; {2, owner, 1 | 0} this caller holds the lock now, and whether a
 * 401 rejected the last token (the exchange is a re-authentication); {0, pttl} someone else holds
 * the lock, for pttl more ms.
 */
export const TOKEN_GET_OR_LOCK = `
local data = redis.call('HGET', KEYS[1], 'data')
if data then return {1, data} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {2, ARGV[1], redis.call('EXISTS', KEYS[3])}
end
return {0, redis.call('PTTL', KEYS[2])}
`;

/**
 * Keep a token. KEYS: value, lock, rejected mark. ARGV: token, data, ttl ms, owner id or '',
 * channel, token id. Replaces whatever was held (a later exchange is as good as an earlier one:
 * both tokens are valid), clears the mark, releases the lock only if this caller still owns it,
 * and wakes the waiters.
 */
export const TOKEN_SET = `
redis.call('DEL', KEYS[1])
if tonumber(ARGV[3]) > 0 then
  redis.call('HSET', KEYS[1], 'token', ARGV[1], 'data', ARGV[2], 'uses', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
redis.call('DEL', KEYS[3])
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

/**
 * What a waiter waits for. KEYS: value, lock. → 0 when there is nothing to wait for (a token is
 * held, or no lock), else the lock's remaining ms.
 */
export const TOKEN_WAIT_TIME = `
if redis.call('HEXISTS', KEYS[1], 'data') == 1 then return 0 end
local pttl = redis.call('PTTL', KEYS[2])
if pttl < 0 then return 0 end
return pttl
`;

/** Compare-and-delete of the lock. KEYS: lock. ARGV: owner id, channel, token id. → 1 | 0 */
export const TOKEN_UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`;

/** Compare-and-invalidate. KEYS: value. ARGV: token. → 1 when that token was held and is gone. */
export const TOKEN_INVALIDATE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * Compare-and-invalidate after a 401, leaving the mark. KEYS: value, rejected mark. ARGV: token,
 * mark ms. → 1 when that token was held and is gone.
 */
export const TOKEN_REJECT = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Counts one use. KEYS: value. ARGV: token. → uses so far, or nil when that token is not held. */
export const TOKEN_USE = `
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('HINCRBY', KEYS[1], 'uses', 1)
end
return false
`;

/**
 * Sliding-window log of re-exchanges, on Redis's own clock so that every instance counts the
 * same window whatever its own clock says. KEYS: log. ARGV: max, window ms, unique member.
 * → {1, 0} taken; {0, ms until the oldest leaves the window}.
 */
export const REAUTH_TAKE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
if retry < 1 then retry = 1 end
return {0, retry}
`;
