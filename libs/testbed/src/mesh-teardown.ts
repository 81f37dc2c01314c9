import { rmSync } from 'node:fs'
import type { LocalMesh } from './local-mesh.js'
import { teardown, type TeardownStep } from './teardown.js'
import type { Testbed } from './testbed.js'

/** What an end-to-end test built; each part may be missing when its `before` hook failed early. */
export interface MeshParts {
  mesh?: LocalMesh | undefined
  testbed?: Testbed | undefined
  /** A temporary directory of the test, removed recursively. */
  workDir?: string | undefined
  /** Steps run after the mesh stopped and before the testbed goes (processes the test spawned). */
  extra?: readonly TeardownStep[]
}

/**
 * The end of an end-to-end test, each step on its own ({@link teardown}, 60 s a step): stop
 * the mesh, the `extra` steps, destroy the testbed (its processes and namespaces), remove the
 * work dir. @throws AggregateError after all steps, if any failed
 */
export async function teardownMesh(parts: MeshParts): Promise<void> {
  await teardown(
    [
      [
        'stopping the mesh',
        async () => {
          await parts.mesh?.stop()
        },
      ],
      ...(parts.extra ?? []),
      [
        'destroying the testbed',
        async () => {
          await parts.testbed?.destroy()
        },
      ],
      [
        'removing the work dir',
        () => {
          if (parts.workDir !== undefined) rmSync(parts.workDir, { recursive: true, force: true })
        },
      ],
    ],
    { timeoutMs: 60_000 },
  )
}
