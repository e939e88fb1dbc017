/** `mlops pipeline run|list`: exit 0 when every stage passed, 1 when a gate or smoke test failed, 2 on bad config or data. */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { findPipelines, loadPipeline, PipelineError } from '../../core/pipeline/definition';
import { PipelineRecords, type PipelineRunRecord, type StageRecord, TRIGGERS, Trigger } from '../../core/pipeline/record';
import { runPipeline, stageTable } from '../../core/pipeline/runner';
import { UserInputError } from '../../core/util/errors';
import { GlobalOptions, openTracker, out } from '../context';
import { fmtTime, table } from '../format';
import { type Colors, colorsFor, outputMode, paintMarks, paintStatus, Progress } from '../terminal';

export function registerPipelineCommands(program: Command): void {
  const p = program.command('pipeline').description('CI/CD training pipelines with quality gates and real smoke tests');
  p.command('run')
    .description('run a pipeline: validation, training, evaluation gates, registration, deployment to Staging, smoke test')
    .option('-f, --file <pipeline>', 'pipeline file (default: the only *.pipeline.yaml in the workspace)')
    .addOption(new Option('--trigger <trigger>', 'what triggered it (recorded)').choices(TRIGGERS).default('manual'))
    .option('--json', 'print the run record as JSON')
    .action(async (o, cmd) => {
      const t = openTracker(cmd.optsWithGlobals() as GlobalOptions, true);
      let file = o.file as string | undefined;
      if (!file) {
        const found = [...new Set([...findPipelines(process.cwd()), ...findPipelines(path.dirname(t.store.root))])];
        if (!found.length) throw new UserInputError('No pipeline file (*.pipeline.yaml) found; pass --file.');
        if (found.length > 1) throw new UserInputError(`Several pipeline files; choose one with --file: ${found.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
        file = found[0];
      }
      let def;
      try {
        def = loadPipeline(path.resolve(file));
      } catch (e) {
        if (e instanceof PipelineError) throw new UserInputError(`Invalid pipeline:\n${e.message}`);
        throw e;
      }
      const ac = new AbortController();
      process.on('SIGINT', () => ac.abort());
      const mode = outputMode(cmd, o.json);
      const progress = new Progress(mode);
      // The stage log on stderr as before (plain when piped), above a bar of the stages on a terminal.
      const onLog = mode.json || mode.quiet ? undefined : (l: string) => progress.log(paintMarks(progress.colors, l));
      const onStage = (s: StageRecord, r: PipelineRunRecord) => progress.update({ label: `Pipeline: ${s.title}`, done: r.stages.filter((x) => x.status === 'passed' || x.status === 'failed').length, total: r.stages.length, unit: 'stages' });
      let rec: PipelineRunRecord;
      try {
        rec = await runPipeline(t, def, o.trigger as Trigger, { signal: ac.signal, onLog, onStage });
      } finally {
        progress.stop();
      }
      if (o.json) out.json(rec);
      else out.line(paintStageTable(colorsFor(process.stdout, mode), stageTable(rec)));
      // Bad data (validation failed or the file could not be read) → 2; a gate or smoke test → 1.
      process.exitCode = rec.status === 'passed' ? 0 : rec.status === 'cancelled' ? 130 : rec.failedStage === 'data_validation' ? 2 : 1;
    });
  p.command('list')
    .description('past pipeline runs, newest first')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--json', 'print JSON')
    .action((o, cmd) => {
      const t = openTracker(cmd.optsWithGlobals() as GlobalOptions);
      const { runs, problems } = new PipelineRecords(t.store).list(o.pipeline);
      if (o.json) out.json(runs);
      else
        out.line(
          runs.length
            ? table(['run', 'pipeline', 'trigger', 'status', 'started', 'duration', 'stages', 'version'], runs.map((r) => [r.id, r.pipeline, r.trigger, r.status, fmtTime(r.startTime), r.endTime ? `${((r.endTime - r.startTime) / 1000).toFixed(1)} s` : '', `${r.stages.filter((s) => s.status === 'passed').length}/6`, r.modelVersion ? `v${r.modelVersion}` : '']))
            : 'No pipeline runs yet.',
        );
      for (const pr of problems) process.stderr.write(`warning: ${pr.file}: ${pr.message}\n`);
    });
}

/** The stage table with its statuses in colour: the pipeline's on the first line, each stage's in its column. */
function paintStageTable(c: Colors, text: string): string {
  const [head, ...rest] = text.split('\n');
  const first = head.replace(/ · (PASSED|FAILED|CANCELLED|ERROR|RUNNING)$/, (_m, st: string) => ` · ${paintStatus(c, st)}`);
  const stages = rest.map((l) => l.replace(/^(\d+\. \S+ .+? )(passed|failed|skipped|running|pending)( )/u, (_m, before: string, st: string, after: string) => before + paintStatus(c, st) + after));
  return [first, ...stages].join('\n');
}
