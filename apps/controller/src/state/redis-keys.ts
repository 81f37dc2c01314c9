/**
 * Every Redis key and channel the controller uses, built in this one place.
 *
 * | key                    | type   | holds                                              |
 * |------------------------|--------|----------------------------------------------------|
 * | version                | string | mesh version, +1 on every registry change          |
 * | epoch                  | string | random id of this store's history (created once)   |
 * | vpcs                   | set    | all VPC ids                                        |
 * | vpc:{id}               | string | VPC record as JSON                                 |
 * | names                  | hash   | name → id                                          |
 * | prefixes               | hash   | canonical CIDR → id (VPC CIDRs and routes)         |
 * | endpoints              | hash   | canonical tunnel endpoint host:port → id           |
 * | pubkeys                | hash   | agent public key (base64) → id; keys are unique    |
 * | pubkeys:indexed        | string | set once keys stored before the index are in it    |
 * | changes                | zset   | change log: score = version, member = JSON change  |
 * | join:{sha256(token)}   | string | id; expires; single use                            |
 * | vpcjoin:{id}           | string | sha256 of the VPC's current join token             |
 * | cred:{id}              | string | sha256 of the agent's credential (before gateways) |
 * | cred:{id}:{gw}         | string | sha256 of gateway gw's credential                  |
 * | lease:{id}             | string | `gw:epoch` of the active gateway; TTL = the lease  |
 * | agent:{id}             | hash   | agent status (replica, versions, last seen, peers) |
 * | events (channel)       | pubsub | {"v": version} after each change                   |
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  get version(): string {
    return `${this.prefix}version`
  }
  get epoch(): string {
    return `${this.prefix}epoch`
  }
  get vpcs(): string {
    return `${this.prefix}vpcs`
  }
  get vpcPrefix(): string {
    return `${this.prefix}vpc:`
  }
  vpc(id: string): string {
    return `${this.prefix}vpc:${id}`
  }
  get names(): string {
    return `${this.prefix}names`
  }
  get prefixes(): string {
    return `${this.prefix}prefixes`
  }
  get endpoints(): string {
    return `${this.prefix}endpoints`
  }
  get changes(): string {
    return `${this.prefix}changes`
  }
  get publicKeys(): string {
    return `${this.prefix}pubkeys`
  }
  get publicKeysIndexed(): string {
    return `${this.prefix}pubkeys:indexed`
  }
  join(tokenHash: string): string {
    return `${this.prefix}join:${tokenHash}`
  }
  vpcJoin(id: string): string {
    return `${this.prefix}vpcjoin:${id}`
  }
  credential(id: string, gateway?: string): string {
    return gateway === undefined ? `${this.prefix}cred:${id}` : `${this.prefix}cred:${id}:${gateway}`
  }
  lease(id: string): string {
    return `${this.prefix}lease:${id}`
  }
  agent(id: string): string {
    return `${this.prefix}agent:${id}`
  }
  get events(): string {
    return `${this.prefix}events`
  }
}
