export { startRedisServer, freePort, type RedisServer, type RedisServerOptions } from '../state/redis-server.js'
