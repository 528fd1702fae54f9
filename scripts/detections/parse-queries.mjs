#!/usr/bin/env node
// Parses LogQL with Grafana's LogQL grammar (@grafana/lezer-logql) and PromQL with Prometheus's
// (@prometheus-io/lezer-promql), the parsers Grafana's query editors use, and prints what each query
// is made of, so the Python tests can check names and evaluate label filters on records.
//
// stdin:  [{"id": "...", "lang": "logql" | "promql", "expr": "..."}]
// stdout: [{"id", "errors": [text of every error node], "names": [...], "metrics": [...],
//           "selectors": [[matcher]], "filters": [label-filter tree], "stages": [stage node names]}]
// A matcher is {"label", "op", "value"}; a label-filter tree is a matcher or {"op": "and"|"or", "args": [a, b]}.
import { parser as logqlParser } from '@grafana/lezer-logql';
import { IterMode } from '@lezer/common';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';

const input = JSON.parse(
  await new Promise((resolve) => {
    let text = '';
    process.stdin.on('data', (d) => (text += d));
    process.stdin.on('end', () => resolve(text));
  }),
);

/** A string literal's value: backticks are raw, double quotes escape as in Go (JSON is close enough here). */
function unquote(text) {
  if (text.startsWith('`')) return text.slice(1, -1);
  if (text.startsWith("'")) return text.slice(1, -1);
  return JSON.parse(text);
}

const childrenOf = (node) => {
  const out = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

function matcher(node, expr) {
  const [id, op, str, ...rest] = childrenOf(node);
  const text = expr.slice(node.from, node.to);
  if (id?.name !== 'Identifier' || str?.name !== 'String' || rest.length > 0) return { unsupported: text };
  try {
    return { label: expr.slice(id.from, id.to), op: expr.slice(op.from, op.to), value: unquote(expr.slice(str.from, str.to)) };
  } catch {
    return { unsupported: text };
  }
}

/** LabelFilter -> matcher or {op, args}; anything else (numeric, duration, ip filters) is reported as such. */
function labelFilter(node, expr) {
  const kids = childrenOf(node);
  if (kids.length === 1 && kids[0].name === 'Matcher') return matcher(kids[0], expr);
  if (kids.length === 1 && kids[0].name === 'LabelFilter') return labelFilter(kids[0], expr);
  if (kids.length === 3 && (kids[1].name === 'And' || kids[1].name === 'Or')) {
    return { op: kids[1].name.toLowerCase(), args: [labelFilter(kids[0], expr), labelFilter(kids[2], expr)] };
  }
  return { unsupported: expr.slice(node.from, node.to) };
}

function analyse({ id, lang, expr }) {
  const tree = (lang === 'promql' ? promqlParser : logqlParser).parse(expr);
  const result = { id, errors: [], names: [], metrics: [], selectors: [], filters: [], stages: [] };
  const names = new Set();
  tree.iterate({
    // Error nodes are anonymous: without this mode a query the parser had to repair looks clean.
    mode: IterMode.IncludeAnonymous,
    enter(ref) {
      const node = ref.node;
      const text = expr.slice(node.from, node.to);
      if (node.type.isError) result.errors.push(`${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      if (lang === 'logql') {
        if (node.name === 'Selector')
          result.selectors.push(childrenOf(node).flatMap((m) => (m.name === 'Matchers' ? collectMatchers(m, expr) : [])));
        if (node.name === 'PipelineStage') {
          const stage = childrenOf(node).filter((c) => c.name !== 'Pipe');
          result.stages.push(stage.map((c) => c.name).join(' '));
          if (stage.length === 1 && stage[0].name === 'LabelFilter') result.filters.push(labelFilter(stage[0], expr));
        }
        if (node.name === 'Identifier') names.add(text);
      } else {
        if (node.name === 'VectorSelector') {
          const metric = childrenOf(node).find((c) => c.name === 'Identifier');
          if (metric) result.metrics.push(expr.slice(metric.from, metric.to));
        }
        if (node.name === 'LabelName') names.add(text);
      }
    },
  });
  result.names = [...names].sort();
  return result;
}

function collectMatchers(node, expr) {
  const out = [];
  for (const c of childrenOf(node)) {
    if (c.name === 'Matcher') out.push(matcher(c, expr));
    else if (c.name === 'Matchers') out.push(...collectMatchers(c, expr));
  }
  return out;
}

process.stdout.write(JSON.stringify(input.map(analyse), null, 1) + '\n');
