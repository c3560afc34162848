/** The journey as a graph: every step reachable, every path ending, no spinning loops, holdouts kept silent. */
import { didYouMean } from '../../text/suggest.ts';
import { loopsWithoutWait, reachableFrom, stepById, stepEdges, stepsThatCanEnd } from '../graph.ts';
import type { Journey } from '../schema.ts';
import { STANDARD_POLICIES } from '../policies.ts';
import { worstCaseSeconds } from '../timing.ts';
import type { Report } from './scope.ts';
import { MAX_DURATION_SECONDS } from '../../time/duration.ts';

/** Returns false when the graph is too broken (a dangling step) for later checks to make sense. */
export function checkGraph(journey: Journey, report: Report): boolean {
  const ids = Object.keys(journey.steps);
  if (stepById(journey, journey.start) === undefined) {
    report(['start'], `The start step "${journey.start}" does not exist.`, {
      hint: didYouMean(journey.start, ids),
    });
    return false;
  }
  let dangling = false;
  for (const [id, step] of Object.entries(journey.steps)) {
    for (const edge of stepEdges(step)) {
      if (stepById(journey, edge.to) !== undefined) continue;
      dangling = true;
      report(['steps', id, ...edge.field], `Unknown step "${edge.to}".`, {
        expected: `one of ${ids.join(', ')}`,
        hint: didYouMean(edge.to, ids),
      });
    }
  }
  if (dangling) return false;
  const reachable = reachableFrom(journey, journey.start);
  for (const id of ids) {
    if (!reachable.has(id)) {
      report(['steps', id], `Step "${id}" is unreachable: no step leads to it from "${journey.start}".`, {
        hint: 'link it from another step with "next", or remove it',
      });
    }
  }
  for (const loop of loopsWithoutWait(journey)) {
    report(
      ['steps', loop[0] ?? ''],
      `Steps ${loop.map((id) => `"${id}"`).join(' -> ')} loop back with no wait in between.`,
      {
        hint: 'a loop must pass through a wait or waitForEvent, or customers would spin for ever',
      },
    );
  }
  checkEnds(journey, reachable, report);
  checkHoldouts(journey, report);
  const longest = worstCaseSeconds(journey, STANDARD_POLICIES);
  if (longest === undefined) {
    report(
      ['start'],
      'The journey can loop: an execution ends after a year or 25,000 history events whatever the loop does.',
      {
        severity: 'warning',
        hint: 'make sure every loop has a way out, such as a waitForEvent timeout or a branch',
      },
    );
  } else if (longest > MAX_DURATION_SECONDS) {
    report(
      ['start'],
      `A customer may spend ${Math.ceil(longest / 86_400)} days in this journey; Step Functions runs an execution for at most 365.`,
      {
        hint: 'shorten the waits, or split the journey in two with an emitted event',
      },
    );
  }
  return true;
}

function checkEnds(journey: Journey, reachable: ReadonlySet<string>, report: Report): void {
  const canEnd = stepsThatCanEnd(journey);
  const stuck = [...reachable].filter((id) => !canEnd.has(id));
  // One error per trap, at the step that leads into it, rather than one per step inside it.
  const leadsInto = (id: string): boolean =>
    [...reachable].some((from) => {
      const step = stepById(journey, from);
      return canEnd.has(from) && step !== undefined && stepEdges(step).some((edge) => edge.to === id);
    });
  const entries = stuck.filter(leadsInto);
  const reported = entries.length > 0 || stuck[0] === undefined ? entries : [stuck[0]];
  for (const id of reported) {
    const others = [...reachableFrom(journey, id)].filter((other) => other !== id);
    const after = others.length > 0 ? ` or the steps after it (${others.join(', ')})` : '';
    report(['steps', id], `No "end" step can be reached from step "${id}"${after}.`, {
      hint: 'every path must eventually lead to a step of type "end"',
    });
  }
}

/** A holdout is the control group of a split: a message on its way would spoil the measurement. */
function checkHoldouts(journey: Journey, report: Report): void {
  for (const [id, step] of Object.entries(journey.steps)) {
    if (step.type !== 'split') continue;
    step.paths.forEach((path, index) => {
      if (!path.holdout) return;
      // Transactional messages (a receipt, a case summary) are owed to everyone, control group included.
      const sends = [...reachableFrom(journey, path.next)].filter((other) => {
        const reached = stepById(journey, other);
        return reached?.type === 'send' && reached.category === 'marketing';
      });
      if (sends.length > 0) {
        const names = sends.map((other) => `"${other}"`).join(', ');
        report(
          ['steps', id, 'paths', index, 'next'],
          `Holdout path "${path.name}" leads to ${names}, which ${sends.length === 1 ? 'sends a marketing message' : 'send marketing messages'}.`,
          { hint: 'a holdout path goes to an end step, or only to transactional sends' },
        );
      }
    });
  }
}
