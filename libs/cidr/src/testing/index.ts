export { type Prng, mulberry32 } from './prng.js'
export { randomAddress, randomPrefix, addressInside } from './random-prefix.js'
export { NaiveRouteTable } from './naive-table.js'
