export {
  startRedisServer,
  startRedisSentinel,
  freePort,
  type RedisServer,
  type RedisServerOptions,
  type RedisSentinelOptions,
} from '../state/redis-server.js'
