// Splits one command line into words as sh would, for commands copied from the README and
// run without a shell. Quoting is supported ('...', "...", backslash) and an unquoted `#`
// starting a word begins a comment; anything a shell would expand or interpret (variables,
// globs, pipes, redirections, command substitution) is refused, since running the words
// as they are would not do what the reader's shell does.

/** Characters that mean something to sh outside quotes. */
const SPECIAL = new Set(['$', '`', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '~']);
/** What a backslash escapes inside double quotes (elsewhere there it stays literal). */
const DOUBLE_QUOTE_ESCAPES = new Set(['$', '`', '"', '\\']);

export class ShellWordsError extends Error {
  override readonly name = 'ShellWordsError';
}

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const refuse = (what: string): never => {
    throw new ShellWordsError(`${what} at column ${i + 1} of: ${line}`);
  };
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) refuse('unterminated single quote');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) refuse('unterminated double quote');
        const d = line.charAt(i);
        if (d === '"') break;
        if (d === '$' || d === '`') refuse(`expansion ${d} inside double quotes`);
        if (d === '\\' && DOUBLE_QUOTE_ESCAPES.has(line.charAt(i + 1))) {
          word += line.charAt(i + 1);
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) refuse('a trailing backslash (line continuation)');
      word += line.charAt(i + 1);
      inWord = true;
      i += 2;
    } else if (SPECIAL.has(c)) {
      refuse(`unquoted ${c}`);
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
