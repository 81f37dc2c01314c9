import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { type Logger, errorMessage } from '@vpcmesh/common'
import { WireErrorCode, type ErrorBody } from '@vpcmesh/protocol'
import { ERROR_REGISTRY, causeDetail, isRegistered } from './errors.js'

/** Fastify's own error codes that mean the request, not the server, is at fault. */
const FASTIFY_CODES: Record<string, { code: WireErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: WireErrorCode.bodyTooLarge,
    message: 'request body is larger than the limit (VPCMESH_BODY_LIMIT)',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: WireErrorCode.badJson, message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: WireErrorCode.badJson, message: 'request body is empty; send a JSON object' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: WireErrorCode.unsupportedMediaType,
    message: 'send the body as application/json',
  },
  // Raised by the router before any route runs (fastify's frameworkErrors, see app.ts).
  FST_ERR_MAX_PARAM_LENGTH: {
    code: WireErrorCode.validation,
    message: 'a path parameter is longer than 100 characters',
  },
  FST_ERR_BAD_URL: { code: WireErrorCode.validation, message: 'the URL is not valid (bad percent-encoding)' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: WireErrorCode.badJson,
    message: 'Content-Length does not match the body',
  },
}

/** Maps any error to `{code, message, retryable}` and its status. Pure. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody } {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request'
    const parts = err.validation.map((v) => `${where}${v.instancePath.replaceAll('/', '.')}: ${v.message ?? 'invalid'}`)
    return answer(WireErrorCode.validation, parts.join('; '))
  }
  const fst = FASTIFY_CODES[(err as FastifyError).code ?? '']
  if (fst !== undefined) return answer(fst.code, fst.message)
  if (isRegistered(err)) return answer(err.code as WireErrorCode, err.message)
  if (typeof (err as FastifyError).statusCode === 'number' && ((err as FastifyError).statusCode ?? 500) < 500) {
    return answer(WireErrorCode.validation, errorMessage(err))
  }
  return answer(WireErrorCode.internal, 'internal error; see the controller log')
}

function answer(code: WireErrorCode, message: string): { status: number; body: ErrorBody } {
  const reg = ERROR_REGISTRY[code] ?? { status: 500, retryable: false }
  return { status: reg.status, body: { code, message, retryable: reg.retryable } }
}

/** Answers an error the router raises before any route runs (fastify's `frameworkErrors`) like the error handler. */
export function frameworkErrors(err: unknown, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(err)
  void reply.status(status).send(body)
}

/** Installs the single error handler and the JSON 404 answer. */
export function installErrorHandler(app: FastifyInstance, log: Logger, onStoreError: () => void): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorBody(err)
    if (status >= 500)
      log.error('request failed', {
        method: req.method,
        url: req.routeOptions.url,
        code: body.code,
        error: errorMessage(err),
        cause: causeDetail(err),
      })
    if (body.code === WireErrorCode.storeUnavailable) onStoreError()
    void reply.status(status).send(body)
  })
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    void reply.status(404).send({
      code: WireErrorCode.notFound,
      message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}; see /docs`,
      retryable: false,
    })
  })
}
