import {
  type AnnotationValue,
  type ComparisonOp,
  type FilterAst,
  FLAG_KEYWORDS,
  type FlagKeyword,
  type NodeSelector,
  NUMBER_KEYWORDS,
  NUMBER_OPS,
  type NumberKeyword,
  type NumberOp,
  ROOT_CAUSE_KEYWORDS,
  ROOT_CAUSE_KINDS,
  ROOT_CAUSE_ONLY_KEYWORDS,
  ROOT_CAUSE_TARGETS,
  type RootCauseKind,
  type RootCauseTarget,
  STRING_KEYWORDS,
  STRING_OPS,
  type StringKeyword,
  type StringOp,
} from './ast';
import { FilterSyntaxError } from './errors';
import { type Token, tokenize } from './lexer';

/** Longest expression accepted; X-Ray console expressions are far shorter. */
export const MAX_FILTER_LENGTH = 2000;
/** Deepest nesting of parentheses, negations and `{ … }` blocks accepted (keeps recursion bounded). */
export const MAX_FILTER_DEPTH = 64;

const ANNOTATION_PREFIX = 'annotation.';
const ANNOTATION_KEY = /^[A-Za-z0-9_]+$/;
const WORD_OPS = new Set(['CONTAINS', 'BEGINSWITH', 'ENDSWITH']);

/**
 * Where a sub-expression is evaluated: over the whole trace, over one node inside `service(){…}`/`edge(){…}`,
 * or over one element of a root cause inside `rootcause.…{…}`.
 */
type Scope = 'trace' | 'node' | 'rootcause';
const ROOT_CAUSE_PREFIX = 'rootcause.';
const ROOT_CAUSE_ONLY = new Set(ROOT_CAUSE_ONLY_KEYWORDS);

/**
 * Parses an X-Ray filter expression (grammar: X-Ray developer guide, "Using filter expressions").
 *
 *   expr     := and (OR and)*
 *   and      := unary ((AND)? unary)*          juxtaposition is AND: `ok !partial duration < 3`
 *   unary    := (NOT | '!') unary | primary
 *   primary  := '(' expr ')' | service | edge | rootcause | keyword [op value]
 *   rootcause := rootcause.(fault|error|responsetime).(service|entity|exception) ['{' expr '}']
 *   service  := service '(' [node] ')' ['{' expr '}']
 *   edge     := edge '(' node ',' node ')' ['{' expr '}']
 *   node     := "name" | id '(' (name|type) ':' "…" [',' …] ')'
 *
 * Keywords and operator words are case-insensitive (the guide itself writes `and`, `responseTime`);
 * annotation keys and string values are not. Throws `FilterSyntaxError` and nothing else.
 */
export function parseFilter(text: string): FilterAst {
  if (typeof text !== 'string') throw new FilterSyntaxError(0, 'filter expression must be a string');
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(
      MAX_FILTER_LENGTH,
      `filter expression longer than ${MAX_FILTER_LENGTH} characters`,
    );
  }
  return new Parser(tokenize(text)).parseAll();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): FilterAst {
    if (this.peek().kind === 'end') throw new FilterSyntaxError(0, 'empty filter expression');
    const ast = this.parseOr('trace');
    const next = this.peek();
    if (next.kind !== 'end') throw this.unexpected(next);
    return ast;
  }

  private parseOr(scope: Scope): FilterAst {
    const operands = [this.parseAnd(scope)];
    while (this.isWord(this.peek(), 'OR')) {
      this.index++;
      operands.push(this.parseAnd(scope));
    }
    return combine('or', operands);
  }

  private parseAnd(scope: Scope): FilterAst {
    const operands = [this.parseUnary(scope)];
    for (;;) {
      const next = this.peek();
      if (this.isWord(next, 'AND')) {
        this.index++;
      } else if (!this.startsOperand(next)) {
        break;
      }
      operands.push(this.parseUnary(scope));
    }
    return combine('and', operands);
  }

  /** Whether `token` can begin another operand of an implicit AND. */
  private startsOperand(token: Token): boolean {
    if (token.kind === 'end') return false;
    if (token.kind === 'punct') return token.text === '(';
    if (token.kind === 'op') return token.text === '!';
    if (token.kind === 'word') return !this.isWord(token, 'OR');
    return true; // a stray literal: let parseUnary report it where it stands
  }

  private parseUnary(scope: Scope): FilterAst {
    const token = this.peek();
    if ((token.kind === 'op' && token.text === '!') || this.isWord(token, 'NOT')) {
      this.index++;
      this.enter(token);
      const operand = this.parseUnary(scope);
      this.depth--;
      return { kind: 'not', operand };
    }
    return this.parsePrimary(scope);
  }

  private parsePrimary(scope: Scope): FilterAst {
    const token = this.next();
    if (token.kind === 'punct' && token.text === '(') {
      this.enter(token);
      const inner = this.parseOr(scope);
      this.depth--;
      this.expectPunct(')');
      return inner;
    }
    if (token.kind !== 'word') throw this.unexpected(token);
    const word = token.text.toLowerCase();
    if (word === 'service' || word === 'edge') {
      if (scope !== 'trace')
        throw new FilterSyntaxError(token.position, `${word}() cannot be nested inside { }`);
      return word === 'service' ? this.parseService() : this.parseEdge();
    }
    if (word === 'group.name' || word === 'group.arn') {
      if (scope !== 'trace')
        throw new FilterSyntaxError(token.position, `'${token.text}' cannot be used inside { }`);
      return this.parseGroup(token, word === 'group.name' ? 'name' : 'arn');
    }
    if (word.startsWith(ROOT_CAUSE_PREFIX)) {
      if (scope !== 'trace')
        throw new FilterSyntaxError(token.position, 'rootcause keywords cannot be nested inside { }');
      return this.parseRootCause(token, word);
    }
    if (scope === 'rootcause' && !ROOT_CAUSE_KEYWORDS.includes(word)) {
      throw new FilterSyntaxError(
        token.position,
        `'${token.text}' does not apply inside rootcause { }: use ${ROOT_CAUSE_KEYWORDS.join(', ')}`,
      );
    }
    if (scope !== 'rootcause' && ROOT_CAUSE_ONLY.has(word)) {
      throw new FilterSyntaxError(token.position, `'${token.text}' applies inside rootcause.… { } only`);
    }
    if (word.startsWith(ANNOTATION_PREFIX)) {
      if (scope !== 'trace') {
        throw new FilterSyntaxError(
          token.position,
          'annotation keywords cannot be used inside service() or edge()',
        );
      }
      return this.parseAnnotation(token);
    }
    if ((FLAG_KEYWORDS as readonly string[]).includes(word)) return this.parseFlag(word as FlagKeyword);
    if ((NUMBER_KEYWORDS as readonly string[]).includes(word))
      return this.parseNumber(token, word as NumberKeyword);
    if ((STRING_KEYWORDS as readonly string[]).includes(word)) return this.parseString(word as StringKeyword);
    throw new FilterSyntaxError(token.position, `unknown keyword '${token.text}'`);
  }

  private parseFlag(keyword: FlagKeyword): FilterAst {
    const op = this.peek();
    if (op.kind !== 'op' || (op.text !== '=' && op.text !== '!=')) {
      if (op.kind === 'op' && op.text !== '!') {
        throw new FilterSyntaxError(
          op.position,
          `'${keyword}' is a boolean keyword: use = or != with true or false`,
        );
      }
      return { kind: 'flag', keyword, value: true };
    }
    this.index++;
    const literal = this.next();
    const value = this.booleanOf(literal);
    if (value === undefined) {
      throw new FilterSyntaxError(literal.position, `'${keyword}' compares with true or false`);
    }
    return { kind: 'flag', keyword, value: op.text === '=' ? value : !value };
  }

  private parseNumber(token: Token, keyword: NumberKeyword): FilterAst {
    const op = this.readOperator();
    if (op === undefined) {
      throw new FilterSyntaxError(this.peek().position, `'${token.text}' needs a comparison such as > 1`);
    }
    if (!(NUMBER_OPS as readonly string[]).includes(op.op)) {
      throw new FilterSyntaxError(
        op.position,
        `'${op.op}' does not apply to the number keyword '${keyword}'`,
      );
    }
    const literal = this.next();
    if (literal.kind !== 'number')
      throw new FilterSyntaxError(literal.position, `'${keyword}' compares with a number`);
    return { kind: 'number', keyword, op: op.op as NumberOp, value: literal.number };
  }

  private parseString(keyword: StringKeyword): FilterAst {
    const op = this.readOperator();
    if (op === undefined) return { kind: 'present', keyword };
    if (!(STRING_OPS as readonly string[]).includes(op.op)) {
      throw new FilterSyntaxError(
        op.position,
        `'${op.op}' does not apply to the string keyword '${keyword}'`,
      );
    }
    const literal = this.next();
    if (literal.kind !== 'string') {
      throw new FilterSyntaxError(literal.position, `'${keyword}' compares with a string in double quotes`);
    }
    return { kind: 'string', keyword, op: op.op as StringOp, value: literal.text };
  }

  private parseAnnotation(token: Token): FilterAst {
    const key = token.text.slice(ANNOTATION_PREFIX.length);
    if (!ANNOTATION_KEY.test(key)) {
      throw new FilterSyntaxError(
        token.position + ANNOTATION_PREFIX.length,
        'annotation keys are letters, digits and underscores',
      );
    }
    const op = this.readOperator();
    if (op === undefined) return { kind: 'annotationPresent', key };
    const literal = this.next();
    let value: AnnotationValue;
    if (literal.kind === 'string') {
      value = literal.text;
      if (!(STRING_OPS as readonly string[]).includes(op.op)) {
        throw new FilterSyntaxError(op.position, `'${op.op}' does not compare strings`);
      }
    } else if (literal.kind === 'number') {
      value = literal.number;
      if (!(NUMBER_OPS as readonly string[]).includes(op.op)) {
        throw new FilterSyntaxError(op.position, `'${op.op}' does not compare numbers`);
      }
    } else {
      const bool = this.booleanOf(literal);
      if (bool === undefined) {
        throw new FilterSyntaxError(
          literal.position,
          'annotations compare with a string, a number, true or false',
        );
      }
      value = bool;
      if (op.op !== '=' && op.op !== '!=') {
        throw new FilterSyntaxError(op.position, `'${op.op}' does not compare true or false`);
      }
    }
    return { kind: 'annotation', key, op: op.op, value };
  }

  /** `group.name = "…"` or `group.arn = "…"`. */
  private parseGroup(token: Token, by: 'name' | 'arn'): FilterAst {
    const op = this.readOperator();
    if (op?.op !== '=') {
      throw new FilterSyntaxError(op?.position ?? this.peek().position, `'${token.text}' takes = "…"`);
    }
    const literal = this.next();
    if (literal.kind !== 'string')
      throw new FilterSyntaxError(
        literal.position,
        `'${token.text}' compares with a string in double quotes`,
      );
    return { kind: 'group', by, value: literal.text };
  }

  /** `rootcause.fault.service`, optionally with a `{ filter }` over the elements of that list. */
  private parseRootCause(token: Token, word: string): FilterAst {
    const [, cause, target, ...rest] = word.split('.');
    if (
      rest.length > 0 ||
      !(ROOT_CAUSE_KINDS as readonly string[]).includes(cause ?? '') ||
      !(ROOT_CAUSE_TARGETS as readonly string[]).includes(target ?? '')
    ) {
      throw new FilterSyntaxError(
        token.position,
        `unknown keyword '${token.text}': rootcause.(fault|error|responsetime).(service|entity|exception)`,
      );
    }
    return {
      kind: 'rootcause',
      cause: cause as RootCauseKind,
      target: target as RootCauseTarget,
      filter: this.parseBlock('rootcause'),
    };
  }

  private parseService(): FilterAst {
    this.expectPunct('(');
    let node: NodeSelector = { name: null, type: null };
    if (!this.isPunct(this.peek(), ')')) node = this.parseNode();
    this.expectPunct(')');
    return { kind: 'service', node, filter: this.parseBlock() };
  }

  private parseEdge(): FilterAst {
    this.expectPunct('(');
    const from = this.parseNode();
    this.expectPunct(',');
    const to = this.parseNode();
    this.expectPunct(')');
    return { kind: 'edge', from, to, filter: this.parseBlock() };
  }

  /** `"name"` or `id(name: "…", type: "…")` (either field may be left out, not both). */
  private parseNode(): NodeSelector {
    const token = this.next();
    if (token.kind === 'string') return { name: token.text, type: null };
    if (token.kind !== 'word' || token.text.toLowerCase() !== 'id') {
      throw new FilterSyntaxError(
        token.position,
        'expected a service name in double quotes or id(name: …, type: …)',
      );
    }
    this.expectPunct('(');
    const node: NodeSelector = { name: null, type: null };
    for (;;) {
      const field = this.next();
      const fieldName = field.kind === 'word' ? field.text.toLowerCase() : '';
      if (fieldName !== 'name' && fieldName !== 'type') {
        throw new FilterSyntaxError(field.position, 'id() takes name: "…" and/or type: "…"');
      }
      if (node[fieldName] !== null)
        throw new FilterSyntaxError(field.position, `id() has ${fieldName} twice`);
      this.expectPunct(':');
      const value = this.next();
      if (value.kind !== 'string')
        throw new FilterSyntaxError(value.position, `id() ${fieldName} is a string`);
      node[fieldName] = value.text;
      if (!this.isPunct(this.peek(), ',')) break;
      this.index++;
    }
    this.expectPunct(')');
    return node;
  }

  /** The optional `{ filter }` after service()/edge()/rootcause.…. */
  private parseBlock(scope: Scope = 'node'): FilterAst | null {
    const open = this.peek();
    if (!this.isPunct(open, '{')) return null;
    this.index++;
    this.enter(open);
    if (this.isPunct(this.peek(), '}')) throw new FilterSyntaxError(this.peek().position, 'empty { } filter');
    const inner = this.parseOr(scope);
    this.depth--;
    this.expectPunct('}');
    return inner;
  }

  /** Reads a comparison operator if one is next (symbols, or CONTAINS/BEGINSWITH/ENDSWITH in any case). */
  private readOperator(): { op: ComparisonOp; position: number } | undefined {
    const token = this.peek();
    if (token.kind === 'op' && token.text !== '!') {
      this.index++;
      return { op: token.text as ComparisonOp, position: token.position };
    }
    if (token.kind === 'word' && WORD_OPS.has(token.text.toUpperCase())) {
      this.index++;
      return { op: token.text.toUpperCase() as ComparisonOp, position: token.position };
    }
    return undefined;
  }

  private booleanOf(token: Token): boolean | undefined {
    if (token.kind !== 'word') return undefined;
    const word = token.text.toLowerCase();
    return word === 'true' ? true : word === 'false' ? false : undefined;
  }

  private enter(token: Token): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      throw new FilterSyntaxError(token.position, `nesting deeper than ${MAX_FILTER_DEPTH} levels`);
    }
  }

  private expectPunct(text: string): void {
    const token = this.next();
    if (!this.isPunct(token, text)) {
      throw new FilterSyntaxError(token.position, `expected '${text}' but found ${describeToken(token)}`);
    }
  }

  private isPunct(token: Token, text: string): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private isWord(token: Token, upper: string): boolean {
    return token.kind === 'word' && token.text.toUpperCase() === upper;
  }

  private unexpected(token: Token): FilterSyntaxError {
    return new FilterSyntaxError(token.position, `unexpected ${describeToken(token)}`);
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.tokens[this.index] as Token;
    if (token.kind !== 'end') this.index++;
    return token;
  }
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of expression';
    case 'string':
      return 'a string';
    case 'number':
      return `number ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}

/** Builds a flattened AND/OR node; a single operand stands for itself. */
function combine(kind: 'and' | 'or', operands: FilterAst[]): FilterAst {
  if (operands.length === 1) return operands[0] as FilterAst;
  const flat: FilterAst[] = [];
  for (const operand of operands) {
    if (operand.kind === kind) flat.push(...operand.operands);
    else flat.push(operand);
  }
  return { kind, operands: flat };
}
