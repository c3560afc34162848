/**
 * The layers hold by lint: a wrong-way import fails `npm run lint`, so no
 * reviewer has to spot one. Each case lints a real file of the layer with one
 * import added, through ESLint's own API and the project's config.
 */
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

/** The messages of `rule` for `file` with `line` added on top. */
async function problems(rule: string, file: string, line: string): Promise<string[]> {
  const text = `${line}\n${readFileSync(file, 'utf8')}`;
  const [result] = await eslint.lintText(text, { filePath: file });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === rule)
    .map((message) => message.message);
}

const layerProblems = (file: string, line: string): Promise<string[]> =>
  problems('no-restricted-imports', file, line);

describe('import rules between the layers', () => {
  it('refuses the domain importing a host or a handler', async () => {
    expect(await layerProblems('shared/json.ts', "import '../infra/local/engine.ts';")).toEqual([
      expect.stringContaining('shared/ is the domain'),
    ]);
    expect(await layerProblems('shared/json.ts', "import '../functions/deliver/handler.ts';")).toEqual([
      expect.stringContaining('shared/ is the domain'),
    ]);
  });

  it('refuses a handler importing a host', async () => {
    expect(
      await layerProblems('functions/deliver/handler.ts', "import '../../infra/local/engine.ts';"),
    ).toEqual([expect.stringContaining('functions/ are the Lambda handlers')]);
  });

  it('refuses the CDK app loading the local engine, and lets it import the domain', async () => {
    expect(await layerProblems('infra/cdk/app.ts', "import '../local/engine.ts';")).toEqual([
      expect.stringContaining('The CDK app deploys the functions'),
    ]);
    expect(await layerProblems('infra/cdk/app.ts', "import '../../shared/json.ts';")).toEqual([]);
  });

  it('refuses an import cycle, and counts no cycle in the code as it is', async () => {
    // shared/runtime/deliver.ts imports the error helper (through its dependencies), so this closes a loop.
    expect(
      await problems('import-x/no-cycle', 'shared/text/error-message.ts', "import '../runtime/deliver.ts';"),
    ).toEqual([expect.stringContaining('cycle')]);
    expect(await problems('import-x/no-cycle', 'shared/text/error-message.ts', '')).toEqual([]);
  });
}, 60_000);
