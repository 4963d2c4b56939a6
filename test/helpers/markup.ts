// Markup a test can check without a parser: SVG, or the body of an HTML page whose
// elements are all closed (the reports' output).
import assert from 'node:assert/strict';

/** Every tag closed in order, attributes quoted, and no raw &, < or > in the text: what
 *  escaping every name and note that goes into it guarantees. */
export function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|#39);[^"<&]*)*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < svg.length) {
    const lt = svg.indexOf('<', at);
    const text = svg.slice(at, lt < 0 ? svg.length : lt);
    assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|#39);)/, `raw & in text "${text}"`);
    assert.doesNotMatch(text, />/, `raw > in text "${text}"`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    assert.ok(m, `malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [whole, closing, name, , selfClosing] = m;
    if (closing === '/') assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (selfClosing !== '/') stack.push(name as string);
    at = lt + whole.length;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}
