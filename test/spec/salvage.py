#!/usr/bin/env python3
"""Converts the part of a .wast file that Debian's wast2json can parse.

Newer spec files mix commands wast2json 1.0.32 reads with a few it cannot (newer text
syntax such as `(ref null func)` for funcref, `(module definition ...)`). This runs
wast2json, and while it fails, takes out what holds the line it names, keeping every
line where it was (so the json's line numbers are the .wast's): in a module, the
function holding it is replaced by an empty function of the same name (the others keep
their indices), and the commands from the first one that invokes it up to the next
module that imports nothing are dropped (the state they see may differ from what they
expect; assert_invalid and assert_malformed stay); anywhere else in a
module, the module is dropped with the commands after it, up to the next module (they
would run against it); another command is dropped. Writes OUT_DIR/NAME.json (and modules) and OUT_DIR/dropped.txt:
one line per dropped command, "LINE<TAB>why" (wast2json's error, or the module it used).

    salvage.py FILE.wast OUT_DIR
"""
import os
import re
import subprocess
import sys


def top_level_commands(text):
    """[(start, end)] character ranges of the top-level s-expressions of `text`."""
    out, depth, i, start, n = [], 0, 0, None, len(text)
    while i < n:
        c = text[i]
        if c == ';' and text.startswith(';;', i):
            i = text.find('\n', i)
            i = n if i < 0 else i
            continue
        if c == '(' and text.startswith('(;', i):
            nest, i = 1, i + 2
            while i < n and nest:
                if text.startswith('(;', i):
                    nest, i = nest + 1, i + 2
                elif text.startswith(';)', i):
                    nest, i = nest - 1, i + 2
                else:
                    i += 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == '\\' else 1
            i += 1
            continue
        if c == '(':
            if depth == 0:
                start = i
            depth += 1
        elif c == ')':
            depth -= 1
            if depth == 0:
                out.append((start, i + 1))
        i += 1
    return out


def line_of(text, pos):
    return text.count('\n', 0, pos) + 1


def blank(text, start, end):
    """`text` with [start, end) replaced by spaces, newlines kept."""
    return text[:start] + re.sub(r'[^\n]', ' ', text[start:end]) + text[end:]


def is_module(text, rng):
    return re.match(r'\(\s*module\b', text[rng[0]:rng[1]]) is not None


def stateless(command):
    """Whether `command` sees no instance's state (it checks a module of its own)."""
    return re.match(r'\(\s*assert_(invalid|malformed)\b', command) is not None


def fresh_module(text, rng):
    """Whether the module command `rng` imports nothing (sees no earlier instance's state)."""
    return re.search(r'\(\s*import\b', text[rng[0]:rng[1]]) is None


def stub_function(text, module, bad_line):
    """When `bad_line` is in a function of `module` (a range of `text`): (text', the
    function's line, its export names), the function replaced by an empty one of the same
    name (so that the other functions keep their indices and references); else None."""
    inner = module[0] + 1
    for s, e in top_level_commands(text[inner:module[1] - 1]):
        s, e = s + inner, e + inner
        if line_of(text, s) <= bad_line <= line_of(text, e):
            field = text[s:e]
            if not re.match(r'\(\s*func\b', field):
                return None
            name = re.match(r'\(\s*func\s+(\$[^\s()]+)?', field).group(1) or ''
            stub = '(func %s)' % name
            exports = re.findall(r'\(export\s+"([^"]*)"\)', field)
            return blank(text, s, e)[:s] + stub + blank(text, s, e)[s + len(stub):], line_of(text, s), exports
    return None


def main(wast, out_dir):
    name = os.path.basename(wast)[:-len('.wast')]
    orig = text = open(wast, encoding='utf-8').read()
    cmds = top_level_commands(orig)
    dropped = {}
    trimmed = os.path.join(out_dir, name + '.wast')
    os.makedirs(out_dir, exist_ok=True)
    for _ in range(len(cmds) + 1):
        with open(trimmed, 'w', encoding='utf-8') as f:
            f.write(text)
        r = subprocess.run(['wast2json', '--enable-all', '-o', os.path.join(out_dir, name + '.json'), trimmed],
                           capture_output=True, text=True)
        if r.returncode == 0:
            os.remove(trimmed)
            with open(os.path.join(out_dir, 'dropped.txt'), 'w') as f:
                for line in sorted(dropped):
                    f.write('%d\t%s\n' % (line, dropped[line]))
            return 0
        m = re.search(re.escape(name) + r'\.wast:(\d+):\d+: error: (.*)', r.stderr)
        if not m:
            sys.stderr.write('%s: wast2json failed without naming a line:\n%s' % (wast, r.stderr[:500]))
            return 1
        bad_line, why = int(m.group(1)), m.group(2).strip()
        hit = [k for k, c in enumerate(cmds) if line_of(text, c[0]) <= bad_line <= line_of(text, c[1])]
        if not hit:
            sys.stderr.write('%s:%d: no command holds that line: %s\n' % (wast, bad_line, why))
            return 1
        k = hit[0]
        first = line_of(text, cmds[k][0])
        if is_module(orig, cmds[k]):
            stubbed = stub_function(text, cmds[k], bad_line)
            if stubbed:
                text, func_line, exports = stubbed
                dropped[func_line] = ('function stubbed out of the module of line %d: wast2json 1.0.32: %s'
                                      % (first, why))
                # from the first command that invokes it on, the module's state may differ
                # from what the commands expect: they go too, up to a module that cannot see
                # that state (one that imports nothing)
                invoked = None
                for j in range(k + 1, len(cmds)):
                    if is_module(orig, cmds[j]) and (invoked is None or fresh_module(orig, cmds[j])):
                        break
                    body = text[cmds[j][0]:cmds[j][1]]
                    if invoked is None and any(re.search(r'\(invoke\s+(\$\S+\s+)?"%s"' % re.escape(x), body)
                                               for x in exports):
                        invoked = line_of(text, cmds[j][0])
                    if invoked is not None and body.strip() and not stateless(body):
                        dropped[line_of(text, cmds[j][0])] = (
                            'invokes the function stubbed out at line %d' % func_line
                            if invoked == line_of(text, cmds[j][0])
                            else 'follows line %d, which invokes the function stubbed out at line %d'
                            % (invoked, func_line))
                        text = blank(text, *cmds[j])
                continue
        dropped[first] = 'wast2json 1.0.32: ' + why
        text = blank(text, *cmds[k])
        if is_module(orig, cmds[k]):
            for j in range(k + 1, len(cmds)):
                if is_module(orig, cmds[j]):
                    break
                if text[cmds[j][0]:cmds[j][1]].strip():
                    dropped[line_of(text, cmds[j][0])] = 'uses the module of line %d, dropped' % first
                    text = blank(text, *cmds[j])
    sys.stderr.write('%s: gave up\n' % wast)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
