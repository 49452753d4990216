#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads GVariant text, one value a line (what `gdbus call` prints, or the arguments `gdbus monitor`
prints after a signal's name), on stdin and prints each as one line of JSON in the shape `busctl --json=short` gives its
"data": a tuple becomes an array, a dictionary an object, and a variant {"type": T, "data": V}
with T the D-Bus signature of its value (so `<uint16 5>` is {"type": "q", "data": 5}). Only what
org.hearth.Hearth1 uses is understood: strings, numbers, booleans, tuples, arrays, dictionaries
and variants of those."""
import json
import re
import sys

NUMBER_TYPES = {
    "byte": "y", "int16": "n", "uint16": "q", "int32": "i", "uint32": "u",
    "int64": "x", "uint64": "t", "double": "d", "handle": "h",
}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
           "b": "\b", "f": "\f", "v": "\v"}


class Parser:
    def __init__(self, text):
        self.text = text
        self.i = 0

    def fail(self, what):
        raise SystemExit(f"gvariant_json: {what} at offset {self.i} of {self.text!r}")

    def skip_space(self):
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self):
        self.skip_space()
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, char):
        if self.peek() != char:
            self.fail(f"expected {char!r}")
        self.i += 1

    def items(self, close):
        """Values separated by commas up to `close` (a trailing comma allowed)."""
        values = []
        while self.peek() != close:
            values.append(self.value())
            if self.peek() == ",":
                self.i += 1
            elif self.peek() != close:
                self.fail(f"expected ',' or {close!r}")
        self.i += 1
        return values

    def value(self):
        """Returns (signature, data)."""
        c = self.peek()
        if c == "(":
            self.i += 1
            values = self.items(")")
            return "(" + "".join(t for t, _ in values) + ")", [d for _, d in values]
        if c == "[":
            self.i += 1
            values = self.items("]")
            return "a" + (values[0][0] if values else "?"), [d for _, d in values]
        if c == "{":
            self.i += 1
            entries = {}
            signature = "a{??}"
            while self.peek() != "}":
                key_type, key = self.value()
                self.expect(":")
                value_type, value = self.value()
                entries[str(key)] = value
                signature = "a{" + key_type + value_type + "}"
                if self.peek() == ",":
                    self.i += 1
            self.i += 1
            return signature, entries
        if c == "<":
            self.i += 1
            inner_type, inner = self.value()
            self.expect(">")
            return "v", {"type": inner_type, "data": inner}
        if c in "'\"":
            return "s", self.string()
        if c == "@":  # a type annotation, as in `@as []`
            match = re.compile(r"@(\S+)\s+").match(self.text, self.i)
            if not match:
                self.fail("bad type annotation")
            self.i = match.end()
            _, data = self.value()
            return match.group(1), data
        match = re.compile(r"[a-z]+[0-9]*").match(self.text, self.i)
        if match and match.group(0) in NUMBER_TYPES:
            self.i = match.end()
            _, data = self.value()
            return NUMBER_TYPES[match.group(0)], data
        if match and match.group(0) in ("true", "false"):
            self.i = match.end()
            return "b", match.group(0) == "true"
        match = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?").match(self.text, self.i)
        if match:
            self.i = match.end()
            if match.group(1) or match.group(2):
                return "d", float(match.group(0))
            return "i", int(match.group(0))
        self.fail("unexpected text")

    def string(self):
        quote = self.text[self.i]
        self.i += 1
        out = []
        while True:
            if self.i >= len(self.text):
                self.fail("unterminated string")
            c = self.text[self.i]
            self.i += 1
            if c == quote:
                return "".join(out)
            if c == "\\":
                e = self.text[self.i]
                self.i += 1
                if e == "u":
                    out.append(chr(int(self.text[self.i:self.i + 4], 16)))
                    self.i += 4
                elif e == "U":
                    out.append(chr(int(self.text[self.i:self.i + 8], 16)))
                    self.i += 8
                else:
                    out.append(ESCAPES.get(e, e))
            else:
                out.append(c)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        parser = Parser(line)
        _, data = parser.value()
        if parser.peek():
            parser.fail("trailing text")
        json.dump(data, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
