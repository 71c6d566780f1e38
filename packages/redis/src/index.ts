export type { RedisClient } from './connection';
export type { AuraRedis, AuraRedisOptions } from './create';
export { createAuraRedis } from './create';
