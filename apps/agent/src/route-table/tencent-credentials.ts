import { DefaultCredentialProvider } from 'tencentcloud-sdk-nodejs/tencentcloud/common/credential.js'
import type { Credential, DynamicCredential } from 'tencentcloud-sdk-nodejs/tencentcloud/common/interface.js'

/**
 * The SDK's default credential chain (`DefaultCredentialProvider`: the environment
 * `TENCENTCLOUD_SECRET_ID`/`TENCENTCLOUD_SECRET_KEY`/`TENCENTCLOUD_SESSION_TOKEN`, then
 * `~/.tencentcloud/credentials` or `/etc/tencentcloud/credentials`, then the CVM role from the
 * metadata service, then OIDC on TKE), started afresh after a lookup that found nothing.
 *
 * Why afresh: the SDK's CVM-role source keeps its first metadata lookup, even a failed one, so one
 * metadata hiccup at start would otherwise lose the role until the agent restarts. When the chain
 * finds nothing the SDK signs with an empty key and the API answers `AuthFailure.*`, which the
 * provider reports as `credentials`.
 */
export function defaultTencentCredential(): DynamicCredential {
  let chain = new DefaultCredentialProvider()
  return {
    async getCredential(): Promise<Credential> {
      const found = await chain.getCredential()
      if (!found.secretId || !found.secretKey) chain = new DefaultCredentialProvider()
      return found
    },
  }
}
