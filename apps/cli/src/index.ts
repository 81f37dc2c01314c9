export { runCli, CLI_COMMANDS, type CliIo } from './main.js'
export { ApiClient, type ApiClientOptions } from './client.js'
export { CliError, ApiCallError, UnreachableError, CliErrorCode } from './errors.js'
