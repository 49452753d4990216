#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Usage: interface_members.py INTERFACE [XML_FILE]

Prints the members of INTERFACE in a D-Bus introspection document (the file, or stdin), one a
line and sorted, so two documents can be compared with diff:
    method NAME in|out TYPE ARG_NAME, ...
    property NAME TYPE ACCESS
    signal NAME TYPE ARG_NAME, ...
Annotations are left out: they describe the implementation (Method.Async) or are optional.
Exits 1 when the document has no such interface."""
import sys
import xml.etree.ElementTree as ET


def args(element, with_direction):
    out = []
    for arg in element.findall("arg"):
        direction = arg.get("direction", "in") + " " if with_direction else ""
        out.append(f"{direction}{arg.get('type')} {arg.get('name', '')}".strip())
    return ", ".join(out)


def main():
    interface_name = sys.argv[1]
    text = open(sys.argv[2]).read() if len(sys.argv) > 2 else sys.stdin.read()
    root = ET.fromstring(text)
    interface = next((i for i in root.iter("interface") if i.get("name") == interface_name), None)
    if interface is None:
        print(f"interface_members: no interface {interface_name}", file=sys.stderr)
        return 1
    lines = []
    for method in interface.findall("method"):
        lines.append(f"method {method.get('name')} {args(method, True)}".rstrip())
    for prop in interface.findall("property"):
        lines.append(f"property {prop.get('name')} {prop.get('type')} {prop.get('access')}")
    for signal in interface.findall("signal"):
        lines.append(f"signal {signal.get('name')} {args(signal, False)}".rstrip())
    print("\n".join(sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
