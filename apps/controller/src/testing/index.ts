export {
  startRedisServer,
  freePort,
  type RedisServer,
  type RedisServerOptions,
} from '../state/redis-server.js'
export {
  startRedisReplica,
  startRedisSentinel,
  type RedisReplicaOptions,
  type RedisSentinelOptions,
} from './redis-sentinel.js'
