import type { AnnotationValue, FilterAst, NodeSelector } from './ast';

/**
 * Prints a tree as filter expression text that `parseFilter` reads back to an equal tree: keywords in
 * lower case, `AND`/`OR`/`CONTAINS`… in upper case, `!` for negation, parentheses only where needed.
 */
export function formatFilter(ast: FilterAst): string {
  switch (ast.kind) {
    case 'and':
      return ast.operands
        .map((o) => (o.kind === 'and' || o.kind === 'or' ? `(${formatFilter(o)})` : formatFilter(o)))
        .join(' AND ');
    case 'or':
      return ast.operands
        .map((o) => (o.kind === 'or' ? `(${formatFilter(o)})` : formatFilter(o)))
        .join(' OR ');
    case 'not':
      return ast.operand.kind === 'and' || ast.operand.kind === 'or'
        ? `!(${formatFilter(ast.operand)})`
        : `!${formatFilter(ast.operand)}`;
    case 'flag':
      return ast.value ? ast.keyword : `${ast.keyword} = false`;
    case 'number':
      return `${ast.keyword} ${ast.op} ${formatNumber(ast.value)}`;
    case 'string':
      return `${ast.keyword} ${ast.op} ${quote(ast.value)}`;
    case 'present':
      return ast.keyword;
    case 'annotation':
      return `annotation.${ast.key} ${ast.op} ${formatValue(ast.value)}`;
    case 'annotationPresent':
      return `annotation.${ast.key}`;
    case 'service':
      return `service(${ast.node.name === null && ast.node.type === null ? '' : formatNode(ast.node)})${formatBlock(ast.filter)}`;
    case 'edge':
      return `edge(${formatNode(ast.from)}, ${formatNode(ast.to)})${formatBlock(ast.filter)}`;
    case 'group':
      return `group.${ast.by} = ${quote(ast.value)}`;
    case 'rootcause':
      return `rootcause.${ast.cause}.${ast.target}${formatBlock(ast.filter)}`;
  }
}

function formatBlock(filter: FilterAst | null): string {
  return filter === null ? '' : ` { ${formatFilter(filter)} }`;
}

function formatNode(node: NodeSelector): string {
  if (node.type === null && node.name !== null) return quote(node.name);
  const fields: string[] = [];
  if (node.name !== null) fields.push(`name: ${quote(node.name)}`);
  if (node.type !== null) fields.push(`type: ${quote(node.type)}`);
  return `id(${fields.join(', ')})`;
}

function formatValue(value: AnnotationValue): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return formatNumber(value);
  return value ? 'true' : 'false';
}

function formatNumber(value: number): string {
  // String() gives the shortest text that reads back to the same double, exponent included (1e-7).
  return String(value);
}

/** Double-quoted, escaping what the lexer would otherwise stop at or mangle. */
export function quote(value: string): string {
  let out = '"';
  for (const c of value) {
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += c;
  }
  return `${out}"`;
}
