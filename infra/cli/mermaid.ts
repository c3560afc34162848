/** A journey as a Mermaid flowchart, for pull requests and docs. */
import { assertNever, labelledStepEdges } from '../../shared/journey/graph.ts';
import { type Journey, type Step, sendChannels } from '../../shared/journey/schema.ts';
import { describeTrigger } from '../../shared/journey/trigger.ts';

export function journeyToMermaid(journey: Journey): string {
  const lines = ['flowchart TD'];
  const trigger = journey.trigger;
  const filter = 'filter' in trigger && trigger.filter !== undefined ? ' (filtered)' : '';
  lines.push(`  trigger(["on ${label(describeTrigger(trigger))}${filter}"])`);
  lines.push(`  trigger --> ${node(journey.start)}`);
  for (const [id, step] of Object.entries(journey.steps)) {
    lines.push(`  ${shape(id, step)}`);
    for (const [target, edgeLabel] of labelledStepEdges(step)) {
      lines.push(
        edgeLabel === ''
          ? `  ${node(id)} --> ${node(target)}`
          : `  ${node(id)} -->|"${label(edgeLabel)}"| ${node(target)}`,
      );
    }
  }
  if (journey.exitOn.length > 0) {
    const exits = journey.exitOn.map((exit) => `${exit.event}${exit.goal ? ' (goal)' : ''}`).join(', ');
    lines.push(`  exit{{"exits at any step on ${label(exits)}"}}`);
  }
  return `${lines.join('\n')}\n`;
}

function node(id: string): string {
  return `step_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function label(text: string): string {
  return text.replace(/"/g, '#quot;');
}

function shape(id: string, step: Step): string {
  const name = node(id);
  switch (step.type) {
    case 'send':
      return `${name}["${label(`${id}: send ${sendChannels(step).join(' / ')}<br/>${step.template} (${step.category})`)}"]`;
    case 'wait': {
      const until = step.until;
      const what =
        step.duration !== undefined
          ? step.duration
          : until?.kind === 'localWindow'
            ? `until ${until.start}-${until.end} local`
            : `until preferred hour (${until?.day ?? 'sameOrNext'})`;
      return `${name}(["${label(`${id}: wait ${what}`)}"])`;
    }
    case 'waitForEvent':
      return `${name}(["${label(`${id}: wait up to ${step.timeout} for ${step.event.event}`)}"])`;
    case 'branch':
      return `${name}{"${label(`${id}: branch`)}"}`;
    case 'split':
      return `${name}{"${label(`${id}: split`)}"}`;
    case 'updateProfile':
      return `${name}[/"${label(`${id}: update profile`)}"/]`;
    case 'emit':
      return `${name}[/"${label(`${id}: emit ${step.event}`)}"/]`;
    case 'end':
      return `${name}(("${label(id)}"))`;
    default:
      return assertNever(step);
  }
}
