import { FilterSyntaxError } from './errors';

export type TokenKind = 'word' | 'string' | 'number' | 'punct' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** Words as written; string contents unescaped; numbers and punctuation as written. */
  text: string;
  /** Parsed value of a number token. */
  number: number;
  /** 0-based offset of the token's first character. */
  position: number;
}

const WORD_START = /[A-Za-z_]/;
const WORD_PART = /[A-Za-z0-9_.]/;
const DIGIT = /[0-9]/;
const PUNCTUATION = '(){},:';
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', r: '\r', t: '\t' };
const NUMBER_AT = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;

/** Splits an expression into tokens; the last token is always `end` at `text.length`. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, value: string, position: number, number = 0): void => {
    tokens.push({ kind, text: value, number, position });
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (PUNCTUATION.includes(c)) {
      push('punct', c, i);
      i++;
    } else if (c === '=') {
      push('op', '=', i);
      i++;
    } else if (c === '!' || c === '<' || c === '>') {
      const two = text[i + 1] === '=';
      push('op', two ? `${c}=` : c, i);
      i += two ? 2 : 1;
    } else if (c === '"') {
      const start = i;
      const [value, next] = readString(text, i);
      push('string', value, start);
      i = next;
    } else if (DIGIT.test(c) || c === '.' || c === '-') {
      const match = NUMBER_AT.exec(text.slice(i, i + 64));
      if (!match) throw new FilterSyntaxError(i, `unexpected character '${c}'`);
      const value = Number(match[0]);
      if (!Number.isFinite(value)) throw new FilterSyntaxError(i, `number out of range: ${match[0]}`);
      // -0 and 0 mean the same threshold; keep one spelling so trees compare equal.
      push('number', match[0], i, value === 0 ? 0 : value);
      i += match[0].length;
      if (i < text.length && WORD_PART.test(text[i] as string)) {
        throw new FilterSyntaxError(i, `unexpected character '${text[i]}' after number`);
      }
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < text.length && WORD_PART.test(text[i] as string)) i++;
      push('word', text.slice(start, i), start);
    } else {
      throw new FilterSyntaxError(i, `unexpected character '${describe(c)}'`);
    }
  }
  push('end', '', text.length);
  return tokens;
}

/** Reads a double-quoted string starting at `start`; returns its value and the offset after it. */
function readString(text: string, start: number): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') return [value, i + 1];
    if (c !== '\\') {
      value += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === undefined) break;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      value += simple;
      i += 2;
    } else if (e === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex))
        throw new FilterSyntaxError(i, 'bad \\u escape: expected 4 hex digits');
      value += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
    } else {
      throw new FilterSyntaxError(i, `unknown escape '\\${describe(e)}' in string`);
    }
  }
  throw new FilterSyntaxError(start, 'unterminated string');
}

function describe(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
}
