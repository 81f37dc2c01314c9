/** Test doubles of @vpcmesh/linuxnet: import only from test files. */
export {
  FakeRunner,
  type FakeRunnerOptions,
  type FakeFailure,
  type RecordedCommand,
  isReadCommand,
} from './fake-runner.js'
