export { FakeController, closedControllerUrl, type RecordedRequest, type CannedAnswer } from './fake-controller.js'
