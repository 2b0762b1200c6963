#!/usr/bin/env python3
"""Writes the Swift message types (module Messages) and stages protoc-c's C output
(target CMessages) for every .proto under Protos/. Run through scripts/generate-protos,
which calls protoc-c first and hands this script the FileDescriptorSet it wrote.

Standard library only: the FileDescriptorSet is decoded with the small protobuf
wire-format reader below, using descriptor.proto's field numbers.

Output layout under --out (the repository's Sources/ by default):
  CMessages/include/module.modulemap          module CMessages, umbrella header below
  CMessages/include/CMessages.h               includes every generated .pb-c.h
  CMessages/include/<path>.pb-c.h             protoc-c headers; they include each other
                                              as "<path>.pb-c.h", so they live under include/
  CMessages/<path>.pb-c.c                     protoc-c sources
  Messages/Generated/<path_with_underscores>.pb.swift
  Messages/Generated/ProtoRegistry.pb.swift   every service and message type

Files are rewritten only when their content changes, and generated files that no .proto
produces any more are removed. Output is deterministic: no timestamps, sorted inputs.
"""

import argparse
import os
import sys

GENERATOR = "scripts/generate-protos"


class GeneratorError(Exception):
    """A .proto uses something this generator does not support."""


# MARK: - Protobuf wire format


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise GeneratorError("descriptor set: truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 64:
            raise GeneratorError("descriptor set: varint too long")


def parse_fields(buf):
    """Returns [(field_number, wire_type, value)]; value is an int or bytes."""
    fields = []
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = read_varint(buf, pos)
        elif wire_type == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire_type == 2:
            length, pos = read_varint(buf, pos)
            value, pos = bytes(buf[pos:pos + length]), pos + length
        elif wire_type == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise GeneratorError(f"descriptor set: unsupported wire type {wire_type}")
        if pos > len(buf):
            raise GeneratorError("descriptor set: truncated field")
        fields.append((number, wire_type, value))
    return fields


def packed_varints(wire_type, value):
    if wire_type == 2:
        out, pos = [], 0
        while pos < len(value):
            item, pos = read_varint(value, pos)
            out.append(item)
        return out
    return [value]


# MARK: - descriptor.proto, the parts used here

# FieldDescriptorProto.Type
TYPE_DOUBLE, TYPE_FLOAT, TYPE_INT64, TYPE_UINT64, TYPE_INT32 = 1, 2, 3, 4, 5
TYPE_FIXED64, TYPE_FIXED32, TYPE_BOOL, TYPE_STRING, TYPE_GROUP = 6, 7, 8, 9, 10
TYPE_MESSAGE, TYPE_BYTES, TYPE_UINT32, TYPE_ENUM, TYPE_SFIXED32 = 11, 12, 13, 14, 15
TYPE_SFIXED64, TYPE_SINT32, TYPE_SINT64 = 16, 17, 18
LABEL_REPEATED = 3

SWIFT_SCALAR = {
    TYPE_DOUBLE: "Double", TYPE_FLOAT: "Float",
    TYPE_INT64: "Int64", TYPE_SFIXED64: "Int64", TYPE_SINT64: "Int64",
    TYPE_UINT64: "UInt64", TYPE_FIXED64: "UInt64",
    TYPE_INT32: "Int32", TYPE_SFIXED32: "Int32", TYPE_SINT32: "Int32",
    TYPE_UINT32: "UInt32", TYPE_FIXED32: "UInt32",
    TYPE_BOOL: "Bool", TYPE_STRING: "String", TYPE_BYTES: "[UInt8]",
}
SWIFT_DEFAULT = {
    "Double": "0", "Float": "0", "Int64": "0", "UInt64": "0", "Int32": "0", "UInt32": "0",
    "Bool": "false", "String": '""', "[UInt8]": "[]",
}

# MethodOptions.IdempotencyLevel
NO_SIDE_EFFECTS, IDEMPOTENT = 1, 2


class Field:
    def __init__(self, data):
        self.name = ""
        self.number = 0
        self.label = 1
        self.type = 0
        self.type_name = ""
        self.oneof_index = None
        self.proto3_optional = False
        self.extendee = ""
        for number, wire_type, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.extendee = value.decode()
            elif number == 3:
                self.number = value
            elif number == 4:
                self.label = value
            elif number == 5:
                self.type = value
            elif number == 6:
                self.type_name = value.decode()
            elif number == 9:
                self.oneof_index = value
            elif number == 17:
                self.proto3_optional = value != 0
        self.repeated = self.label == LABEL_REPEATED


class EnumValue:
    def __init__(self, data):
        self.name = ""
        self.number = 0
        for number, _, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.number = value - (1 << 64) if value >= 1 << 63 else value


class Enum:
    def __init__(self, data):
        self.name = ""
        self.values = []
        for number, _, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.values.append(EnumValue(value))


class Message:
    def __init__(self, data):
        self.name = ""
        self.fields = []
        self.nested = []
        self.enums = []
        self.oneofs = []
        self.map_entry = False
        self.has_extensions = False
        for number, _, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.fields.append(Field(value))
            elif number == 3:
                self.nested.append(Message(value))
            elif number == 4:
                self.enums.append(Enum(value))
            elif number in (5, 6):
                self.has_extensions = True
            elif number == 7:
                for opt, _, opt_value in parse_fields(value):
                    if opt == 7:
                        self.map_entry = opt_value != 0
            elif number == 8:
                name = ""
                for sub, _, sub_value in parse_fields(value):
                    if sub == 1:
                        name = sub_value.decode()
                self.oneofs.append(name)


class Method:
    def __init__(self, data):
        self.name = ""
        self.input_type = ""
        self.output_type = ""
        self.client_streaming = False
        self.server_streaming = False
        self.idempotency_level = 0
        for number, _, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.input_type = value.decode()
            elif number == 3:
                self.output_type = value.decode()
            elif number == 4:
                for opt, _, opt_value in parse_fields(value):
                    if opt == 34:
                        self.idempotency_level = opt_value
            elif number == 5:
                self.client_streaming = value != 0
            elif number == 6:
                self.server_streaming = value != 0


class Service:
    def __init__(self, data):
        self.name = ""
        self.methods = []
        for number, _, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.methods.append(Method(value))


class File:
    def __init__(self, data):
        self.name = ""
        self.package = ""
        self.dependencies = []
        self.messages = []
        self.enums = []
        self.services = []
        self.syntax = "proto2"
        self.has_extensions = False
        self.comments = {}
        for number, wire_type, value in parse_fields(data):
            if number == 1:
                self.name = value.decode()
            elif number == 2:
                self.package = value.decode()
            elif number == 3:
                self.dependencies.append(value.decode())
            elif number == 4:
                self.messages.append(Message(value))
            elif number == 5:
                self.enums.append(Enum(value))
            elif number == 6:
                self.services.append(Service(value))
            elif number == 7:
                self.has_extensions = True
            elif number == 9:
                self.comments = parse_source_info(value)
            elif number == 12:
                self.syntax = value.decode()
            elif number == 14:
                self.syntax = "editions"


def parse_source_info(data):
    comments = {}
    for number, _, location in parse_fields(data):
        if number != 1:
            continue
        path, leading, trailing = [], "", ""
        for sub, wire_type, value in parse_fields(location):
            if sub == 1:
                path.extend(packed_varints(wire_type, value))
            elif sub == 3:
                leading = value.decode()
            elif sub == 4:
                trailing = value.decode()
        text = (leading or trailing).strip()
        if text:
            comments[tuple(path)] = text
    return comments


def read_descriptor_set(path):
    with open(path, "rb") as f:
        data = f.read()
    return [File(value) for number, _, value in parse_fields(data) if number == 1]


# MARK: - Names

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func",
    "import", "init", "inout", "internal", "let", "open", "operator", "private",
    "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript",
    "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
    "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw",
    "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self",
    "Self", "super", "throws", "true", "try", "Type", "Protocol", "some", "any",
}
# Members every generated message already has.
RESERVED_MEMBERS = {"protoMessageName", "serializedBytes", "serialize", "hashValue", "hash"}

C_KEYWORDS = {
    "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
    "catch", "char", "class", "compl", "const", "const_cast", "continue",
    "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "not", "not_eq",
    "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
    "static_cast", "struct", "switch", "template", "this", "throw", "true", "try",
    "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual",
    "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
}


def escape(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def upper_camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


def lower_camel(name):
    pieces = [p for p in name.split("_") if p]
    if not pieces:
        raise GeneratorError(f"cannot make a Swift name from {name!r}")
    first = pieces[0][:1].lower() + pieces[0][1:]
    return first + "".join(p[:1].upper() + p[1:] for p in pieces[1:])


# protoc-c's own rules (protoc-c/c_helpers.cc), so Swift names the C declarations exactly.
def c_camel_to_lower(name):
    out, was_upper = "", True
    for ch in name:
        is_upper = ch.isupper()
        if is_upper:
            if not was_upper:
                out += "_"
            out += ch.lower()
        else:
            out += ch
        was_upper = is_upper
    return out


def c_to_camel(name):
    out, next_upper = "", True
    for ch in name:
        if ch == "_":
            next_upper = True
        elif next_upper:
            out += ch.upper()
            next_upper = False
        else:
            out += ch
    return out


def c_struct_name(full_name):
    return "__".join(c_to_camel(p) for p in full_name.split(".") if p)


def c_function_prefix(full_name):
    return "__".join(c_camel_to_lower(p) for p in full_name.split(".") if p)


def c_field_name(name):
    lowered = name.lower()
    return lowered + "_" if lowered in C_KEYWORDS else lowered


def enum_value_swift_name(enum_name, value_name):
    prefix = c_camel_to_lower(enum_name).upper() + "_"
    name = value_name
    if value_name.upper().startswith(prefix):
        stripped = value_name[len(prefix):]
        if stripped and not stripped[0].isdigit():
            name = stripped
    pieces = [p.lower() for p in name.split("_") if p]
    if not pieces:
        raise GeneratorError(f"cannot make a Swift name from enum value {value_name!r}")
    result = pieces[0] + "".join(p[:1].upper() + p[1:] for p in pieces[1:])
    if result[0].isdigit():
        result = "_" + result
    return result


def swift_file_name(proto_path):
    stem = proto_path[: -len(".proto")] if proto_path.endswith(".proto") else proto_path
    return stem.replace("/", "_").replace(".", "_").replace("-", "_") + ".pb.swift"


def doc_lines(text):
    return ["/// " + line.strip() if line.strip() else "///" for line in text.strip().splitlines()]


# MARK: - Type table


class TypeInfo:
    def __init__(self, kind, full_name, swift_name, file):
        self.kind = kind  # "message" or "enum"
        self.full_name = full_name
        self.swift_name = swift_name
        self.file = file


def register_types(files):
    types = {}

    def add_enum(enum, scope, swift_scope, file):
        full = f"{scope}.{enum.name}" if scope else enum.name
        types["." + full] = TypeInfo("enum", full, f"{swift_scope}{enum.name}", file)

    def add_message(message, scope, swift_scope, file):
        full = f"{scope}.{message.name}" if scope else message.name
        swift = f"{swift_scope}{message.name}"
        types["." + full] = TypeInfo("message", full, swift, file)
        message.full_name = full
        message.swift_name = swift
        for nested in message.nested:
            add_message(nested, full, swift + ".", file)
        for enum in message.enums:
            add_enum(enum, full, swift + ".", file)

    for file in files:
        prefix = "".join(upper_camel(p) + "_" for p in file.package.split(".") if p)
        for message in file.messages:
            add_message(message, file.package, prefix, file)
        for enum in file.enums:
            add_enum(enum, file.package, prefix, file)
    return types


# MARK: - Checks


def check_file(file, types):
    where = file.name
    if file.syntax != "proto3":
        raise GeneratorError(f"{where}: only proto3 is supported (found {file.syntax})")
    if file.has_extensions:
        raise GeneratorError(f"{where}: extensions are not supported")

    def check_message(message):
        name = message.full_name
        if message.has_extensions:
            raise GeneratorError(f"{where}: {name}: extensions are not supported")
        for nested in message.nested:
            if nested.map_entry:
                raise GeneratorError(
                    f"{where}: {name}: map fields are not supported; "
                    "use a repeated message of key/value pairs")
            check_message(nested)
        members = {}
        for field in message.fields:
            if field.proto3_optional:
                raise GeneratorError(
                    f"{where}: {name}.{field.name}: proto3 'optional' is not supported "
                    "(protoc-c 1.4 cannot generate it)")
            if field.type == TYPE_GROUP:
                raise GeneratorError(f"{where}: {name}.{field.name}: groups are not supported")
            if field.type in (TYPE_MESSAGE, TYPE_ENUM) and field.type_name not in types:
                raise GeneratorError(
                    f"{where}: {name}.{field.name}: unknown type {field.type_name}")
            swift = lower_camel(field.name)
            if field.oneof_index is None:
                key = swift
            else:
                key = lower_camel(message.oneofs[field.oneof_index])
                if key in members and members[key] == ("oneof", field.oneof_index):
                    continue
            if key in members or key in RESERVED_MEMBERS:
                raise GeneratorError(
                    f"{where}: {name}: the Swift name {key!r} is used twice or is reserved")
            members[key] = ("oneof", field.oneof_index) if field.oneof_index is not None else ("field",)
        nested_names = [n.name for n in message.nested] + [e.name for e in message.enums]
        nested_names += [upper_camel(o) for o in message.oneofs]
        if len(set(nested_names)) != len(nested_names):
            raise GeneratorError(f"{where}: {name}: a nested type name is used twice "
                                 "(oneof enums are named after the oneof, capitalised)")

    for message in file.messages:
        check_message(message)
    for service in file.services:
        names = [lower_camel(m.name) for m in service.methods]
        if len(set(names)) != len(names) or "descriptor" in names:
            raise GeneratorError(f"{where}: {service.name}: method names clash in Swift")
        for method in service.methods:
            for t in (method.input_type, method.output_type):
                if t not in types or types[t].kind != "message":
                    raise GeneratorError(f"{where}: {service.name}.{method.name}: unknown type {t}")


def check_no_value_cycles(files, types):
    """Swift structs cannot contain themselves; a singular message field or a oneof
    case that leads back to its own message would need boxing, which is not generated."""
    by_name = {}

    def collect(message):
        by_name[message.full_name] = message
        for nested in message.nested:
            collect(nested)

    for file in files:
        for message in file.messages:
            collect(message)

    def edges(message):
        return [types[f.type_name].full_name for f in message.fields
                if f.type == TYPE_MESSAGE and not f.repeated]

    state = {}

    def visit(name, stack):
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = " -> ".join(stack[stack.index(name):] + [name])
            raise GeneratorError(f"recursive message (not supported): {cycle}")
        state[name] = "active"
        for target in edges(by_name[name]):
            if target in by_name:
                visit(target, stack + [name])
        state[name] = "done"

    for name in sorted(by_name):
        visit(name, [])


# MARK: - Swift emission


class Writer:
    def __init__(self):
        self.lines = []
        self.level = 0

    def line(self, text=""):
        self.lines.append(("    " * self.level + text) if text else "")

    def indent(self):
        self.level += 1

    def dedent(self):
        self.level -= 1

    def text(self):
        out = []
        for line in self.lines:  # no double blank lines, none before a closing brace
            if line == "" and (not out or out[-1] == ""):
                continue
            if line.strip() == "}" and out and out[-1] == "":
                out.pop()
            out.append(line)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"


class FileEmitter:
    def __init__(self, file, types):
        self.file = file
        self.types = types
        self.w = Writer()
        self.bridges = Writer()

    def comment(self, path):
        return self.file.comments.get(tuple(path))

    def swift_type(self, field):
        if field.type in (TYPE_MESSAGE, TYPE_ENUM):
            return self.types[field.type_name].swift_name
        return SWIFT_SCALAR[field.type]

    def field_decl(self, field):
        base = self.swift_type(field)
        if field.repeated:
            return f"[{base}]", "[]"
        if field.type == TYPE_MESSAGE:
            return f"{base}?", None
        if field.type == TYPE_ENUM:
            return base, ".init(rawValue: 0)"
        return base, SWIFT_DEFAULT[base]

    # -- enums

    def emit_enum(self, enum, swift_name, full_name, path):
        w = self.w
        local = swift_name.split(".")[-1]
        doc = self.comment(path)
        w.line()
        for line in doc_lines(doc) if doc else [f"/// The enum `{full_name}`; open, so unknown values survive a round trip."]:
            w.line(line)
        w.line(f"public struct {local}: RawRepresentable, Sendable, Hashable {{")
        w.indent()
        w.line("public var rawValue: Int32")
        w.line()
        w.line("public init(rawValue: Int32) {")
        w.indent()
        w.line("self.rawValue = rawValue")
        w.dedent()
        w.line("}")
        seen = {}
        for index, value in enumerate(enum.values):
            name = enum_value_swift_name(enum.name, value.name)
            if name in seen:
                raise GeneratorError(
                    f"{self.file.name}: {full_name}: values {seen[name]} and {value.name} "
                    f"both become {name!r} in Swift")
            seen[name] = value.name
            w.line()
            doc = self.comment(path + [2, index])
            for line in doc_lines(doc) if doc else [f"/// `{value.name}`"]:
                w.line(line)
            w.line(f"public static let {escape(name)} = {local}(rawValue: {value.number})")
        w.dedent()
        w.line("}")

    # -- messages

    def emit_message(self, message, path):
        w = self.w
        local = message.swift_name.split(".")[-1]
        doc = self.comment(path)
        w.line()
        for line in doc_lines(doc) if doc else [f"/// The message `{message.full_name}`."]:
            w.line(line)
        w.line(f"public struct {local}: ProtoMessage, Hashable {{")
        w.indent()
        w.line(f'public static let protoMessageName = "{message.full_name}"')

        emitted_oneofs = set()
        for index, field in enumerate(message.fields):
            if field.oneof_index is not None:
                if field.oneof_index in emitted_oneofs:
                    continue
                emitted_oneofs.add(field.oneof_index)
                oneof = message.oneofs[field.oneof_index]
                w.line()
                doc = self.comment(path + [8, field.oneof_index])
                for line in doc_lines(doc) if doc else [f"/// The oneof `{oneof}`; nil when no case is set."]:
                    w.line(line)
                w.line(f"public var {escape(lower_camel(oneof))}: {upper_camel(oneof)}?")
                continue
            swift_type, default = self.field_decl(field)
            w.line()
            doc = self.comment(path + [2, index])
            for line in doc_lines(doc) if doc else [f"/// Field {field.number}, `{field.name}`."]:
                w.line(line)
            name = escape(lower_camel(field.name))
            w.line(f"public var {name}: {swift_type}" + (f" = {default}" if default else ""))

        for oneof_index, oneof in enumerate(message.oneofs):
            w.line()
            w.line(f"/// The cases of the oneof `{oneof}`.")
            w.line(f"public enum {upper_camel(oneof)}: Sendable, Hashable {{")
            w.indent()
            for index, field in enumerate(message.fields):
                if field.oneof_index != oneof_index:
                    continue
                doc = self.comment(path + [2, index])
                for line in doc_lines(doc) if doc else [f"/// Field {field.number}, `{field.name}`."]:
                    w.line(line)
                w.line(f"case {escape(lower_camel(field.name))}({self.swift_type(field)})")
            w.dedent()
            w.line("}")

        for index, enum in enumerate(message.enums):
            self.emit_enum(enum, f"{message.swift_name}.{enum.name}",
                           f"{message.full_name}.{enum.name}", path + [4, index])
        for index, nested in enumerate(message.nested):
            self.emit_message(nested, path + [3, index])

        w.line()
        w.line("/// A message with every field at its default.")
        w.line("public init() {}")
        w.line()
        w.line("public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {")
        w.indent()
        w.line("self = try CBridge.decode(bytes)")
        w.dedent()
        w.line("}")
        w.line()
        w.line("public func serialize(into buffer: inout [UInt8]) {")
        w.indent()
        w.line("CBridge.encode(self, into: &buffer)")
        w.dedent()
        w.line("}")
        w.dedent()
        w.line("}")
        self.emit_bridge(message)

    # -- the C side of a message

    def emit_bridge(self, message):
        b = self.bridges
        c_struct = c_struct_name(message.full_name)
        fn = c_function_prefix(message.full_name)
        b.line()
        b.line(f"extension {message.swift_name}: CBackedMessage {{")
        b.indent()
        b.line(f"typealias CMessage = {c_struct}")
        b.line()
        b.line("static func cInit(_ message: UnsafeMutablePointer<CMessage>) {")
        b.line(f"    {fn}__init(message)")
        b.line("}")
        b.line()
        b.line("static func cBase(_ message: UnsafeMutablePointer<CMessage>) -> UnsafeMutablePointer<ProtobufCMessage> {")
        b.line("    message.pointer(to: \\.base)!")
        b.line("}")

        plain = [f for f in message.fields if f.oneof_index is None]
        b.line()
        if not message.fields:
            b.line("func cFill(_ c: UnsafeMutablePointer<CMessage>, arena: inout CArena) {}")
        else:
            b.line("func cFill(_ c: UnsafeMutablePointer<CMessage>, arena: inout CArena) {")
            b.indent()
            for field in plain:
                self.emit_fill_field(field)
            for oneof_index, oneof in enumerate(message.oneofs):
                self.emit_fill_oneof(message, oneof_index, oneof)
            b.dedent()
            b.line("}")

        b.line()
        if not message.fields:
            b.line("init(copying c: UnsafePointer<CMessage>) throws(CBridge.InvalidString) {")
            b.line("    self.init()")
            b.line("}")
        else:
            b.line("init(copying c: UnsafePointer<CMessage>) throws(CBridge.InvalidString) {")
            b.indent()
            b.line("self.init()")
            for field in plain:
                self.emit_copy_field(message, field)
            for oneof_index, oneof in enumerate(message.oneofs):
                self.emit_copy_oneof(message, oneof_index, oneof)
            b.dedent()
            b.line("}")
        b.dedent()
        b.line("}")

    def emit_fill_field(self, field):
        b = self.bridges
        swift = "self." + escape(lower_camel(field.name))
        cf = "c.pointee." + c_field_name(field.name)
        t = field.type
        if field.repeated:
            b.line(f"if !{swift}.isEmpty {{")
            b.indent()
            b.line(f"c.pointee.n_{c_field_name(field.name)} = {swift}.count")
            if t == TYPE_STRING:
                b.line(f"{cf} = arena.cStrings({swift})")
            elif t == TYPE_BYTES:
                b.line(f"{cf} = arena.binaryData({swift})")
            elif t == TYPE_MESSAGE:
                b.line(f"{cf} = arena.messages({swift})")
            elif t == TYPE_BOOL:
                b.line(f"{cf} = arena.map({swift}) {{ $0 ? 1 : 0 }}")
            elif t == TYPE_ENUM:
                b.line(f"{cf} = arena.map({swift}) {{ .init(rawValue: .init(truncatingIfNeeded: $0.rawValue)) }}")
            else:
                b.line(f"{cf} = arena.copy({swift})")
            b.dedent()
            b.line("}")
            return
        if t == TYPE_STRING:
            b.line(f"if !{swift}.isEmpty {{ {cf} = arena.cString({swift}) }}")
        elif t == TYPE_BYTES:
            b.line(f"if !{swift}.isEmpty {{ {cf} = arena.binaryData({swift}) }}")
        elif t == TYPE_MESSAGE:
            b.line(f"if let value = {swift} {{ {cf} = arena.message(value) }}")
        elif t == TYPE_BOOL:
            b.line(f"{cf} = {swift} ? 1 : 0")
        elif t == TYPE_ENUM:
            b.line(f"{cf} = .init(rawValue: .init(truncatingIfNeeded: {swift}.rawValue))")
        else:
            b.line(f"{cf} = {swift}")

    def fill_value(self, field, value):
        t = field.type
        if t == TYPE_STRING:
            return f"arena.cString({value})"
        if t == TYPE_BYTES:
            return f"arena.binaryData({value})"
        if t == TYPE_MESSAGE:
            return f"arena.message({value})"
        if t == TYPE_BOOL:
            return f"{value} ? 1 : 0"
        if t == TYPE_ENUM:
            return f".init(rawValue: .init(truncatingIfNeeded: {value}.rawValue))"
        return value

    def emit_fill_oneof(self, message, oneof_index, oneof):
        b = self.bridges
        case_field = c_camel_to_lower(oneof) + "_case"
        b.line(f"switch self.{escape(lower_camel(oneof))} {{")
        b.line("case nil:")
        b.line("    break")
        for field in message.fields:
            if field.oneof_index != oneof_index:
                continue
            b.line(f"case .{escape(lower_camel(field.name))}(let value)?:")
            b.indent()
            b.line(f"c.pointee.{case_field} = .init(rawValue: {field.number})")
            b.line(f"c.pointee.{c_field_name(field.name)} = {self.fill_value(field, 'value')}")
            b.dedent()
        b.line("}")

    def copy_value(self, message, field, value):
        t = field.type
        if t == TYPE_STRING:
            return f'try CBridge.string({value}, field: "{message.full_name}.{field.name}")'
        if t == TYPE_BYTES:
            return f"CBridge.bytes({value})"
        if t == TYPE_MESSAGE:
            return f"try CBridge.message({value})"
        if t == TYPE_BOOL:
            return f"{value} != 0"
        if t == TYPE_ENUM:
            swift = self.types[field.type_name].swift_name
            return f"{swift}(rawValue: Int32(truncatingIfNeeded: {value}.rawValue))"
        return value

    def emit_copy_field(self, message, field):
        b = self.bridges
        swift = "self." + escape(lower_camel(field.name))
        cf = "c.pointee." + c_field_name(field.name)
        count = "c.pointee.n_" + c_field_name(field.name)
        t = field.type
        if field.repeated:
            if t == TYPE_STRING:
                b.line(f'{swift} = try CBridge.strings({cf}, count: {count}, field: "{message.full_name}.{field.name}")')
            elif t == TYPE_BYTES:
                b.line(f"{swift} = CBridge.bytesArray({cf}, count: {count})")
            elif t == TYPE_MESSAGE:
                b.line(f"{swift} = try CBridge.messages({cf}, count: {count})")
            elif t == TYPE_BOOL:
                b.line(f"{swift} = CBridge.map({cf}, count: {count}) {{ $0 != 0 }}")
            elif t == TYPE_ENUM:
                swift_enum = self.types[field.type_name].swift_name
                b.line(f"{swift} = CBridge.map({cf}, count: {count}) {{ {swift_enum}(rawValue: Int32(truncatingIfNeeded: $0.rawValue)) }}")
            else:
                b.line(f"{swift} = CBridge.array({cf}, count: {count})")
            return
        if t == TYPE_MESSAGE:
            b.line(f"if let value = {cf} {{ {swift} = try CBridge.message(value) }}")
        else:
            b.line(f"{swift} = {self.copy_value(message, field, cf)}")

    def emit_copy_oneof(self, message, oneof_index, oneof):
        b = self.bridges
        case_field = c_camel_to_lower(oneof) + "_case"
        b.line(f"switch c.pointee.{case_field}.rawValue {{")
        for field in message.fields:
            if field.oneof_index != oneof_index:
                continue
            cf = "c.pointee." + c_field_name(field.name)
            b.line(f"case {field.number}:")
            b.indent()
            b.line(f"self.{escape(lower_camel(oneof))} = .{escape(lower_camel(field.name))}({self.copy_value(message, field, cf)})")
            b.dedent()
        b.line("default:")
        b.line(f"    self.{escape(lower_camel(oneof))} = nil")
        b.line("}")

    # -- services

    def emit_service(self, service, index):
        w = self.w
        f = self.file
        full = f"{f.package}.{service.name}" if f.package else service.name
        swift = "".join(upper_camel(p) + "_" for p in f.package.split(".") if p) + service.name
        doc = self.comment([6, index])
        w.line()
        for line in doc_lines(doc) if doc else [f"/// The service `{full}`."]:
            w.line(line)
        w.line(f"public enum {swift} {{")
        w.indent()
        w.line("/// The service's name, defining file and methods.")
        w.line("public static let descriptor = ServiceDescriptor(")
        w.indent()
        w.line(f'name: "{full}",')
        w.line(f'protoFile: "{f.name}",')
        w.line("methods: [")
        w.indent()
        for method in service.methods:
            w.line(f"{escape(lower_camel(method.name))}.info,")
        w.dedent()
        w.line("]")
        w.dedent()
        w.line(")")
        for m_index, method in enumerate(service.methods):
            shape = {
                (False, False): "unary",
                (False, True): "serverStreaming",
                (True, False): "clientStreaming",
                (True, True): "bidirectional",
            }[(method.client_streaming, method.server_streaming)]
            idempotent = method.idempotency_level in (NO_SIDE_EFFECTS, IDEMPOTENT)
            request = self.types[method.input_type].swift_name
            response = self.types[method.output_type].swift_name
            w.line()
            doc = self.comment([6, index, 2, m_index])
            summary = {"unary": "unary", "serverStreaming": "server streaming",
                       "clientStreaming": "client streaming", "bidirectional": "bidirectional streaming"}[shape]
            summary += ", idempotent" if idempotent else ""
            for line in doc_lines(doc) if doc else [f"/// `/{full}/{method.name}`: {summary}."]:
                w.line(line)
            w.line(f"public static let {escape(lower_camel(method.name))} = MethodDescriptor<{request}, {response}>(")
            w.indent()
            w.line(f'service: "{full}",')
            w.line(f'method: "{method.name}",')
            w.line(f"shape: .{shape},")
            w.line(f"idempotent: {'true' if idempotent else 'false'}")
            w.dedent()
            w.line(")")
        w.dedent()
        w.line("}")

    def emit(self):
        w = self.w
        w.line(f"// Generated by {GENERATOR} from {self.file.name}. Do not edit.")
        w.line()
        w.line("internal import CMessages")
        w.line("internal import CProtobufC")
        for index, enum in enumerate(self.file.enums):
            info = self.types["." + (f"{self.file.package}.{enum.name}" if self.file.package else enum.name)]
            self.emit_enum(enum, info.swift_name, info.full_name, [5, index])
        for index, message in enumerate(self.file.messages):
            self.emit_message(message, [4, index])
        for index, service in enumerate(self.file.services):
            self.emit_service(service, index)
        if self.bridges.lines:
            w.line()
            w.line("// MARK: - protobuf-c")
            w.lines.extend(self.bridges.lines)
        return w.text()


def all_messages(file):
    out = []

    def walk(message):
        out.append(message)
        for nested in message.nested:
            walk(nested)

    for message in file.messages:
        walk(message)
    return out


def emit_registry(files, services):
    w = Writer()
    w.line(f"// Generated by {GENERATOR} from every .proto under Protos/. Do not edit.")
    w.line()
    w.line("/// Every service and message type generated from Protos/.")
    w.line("public enum ProtoRegistry {")
    w.indent()
    w.line("/// Every service, sorted by full name.")
    w.line("public static let services: [ServiceDescriptor] = [")
    w.indent()
    for _, swift in sorted(services):
        w.line(f"{swift}.descriptor,")
    w.dedent()
    w.line("]")
    w.line()
    w.line("/// Every message type, sorted by full name.")
    w.line("public static let messageTypes: [any ProtoMessage.Type] = [")
    w.indent()
    messages = sorted((m.full_name, m.swift_name) for f in files for m in all_messages(f))
    for _, swift in messages:
        w.line(f"{swift}.self,")
    w.dedent()
    w.line("]")
    w.dedent()
    w.line("}")
    return w.text()


# MARK: - Output


def c_output(c_dir, proto_path, kind):
    stem = proto_path[: -len(".proto")]
    with open(os.path.join(c_dir, stem + ".pb-c." + kind), encoding="utf-8") as f:
        text = f.read()
    return f"// Generated by {GENERATOR} from {proto_path}. Do not edit.\n" + text


def is_generated(rel):
    """Files under --out this generator owns (and may delete when stale)."""
    if rel.startswith("Messages/Generated/"):
        return rel.endswith(".swift")
    if rel.startswith("CMessages/"):
        return rel.endswith((".pb-c.c", ".pb-c.h")) or rel in (
            "CMessages/include/CMessages.h", "CMessages/include/module.modulemap")
    return False


def write_tree(out_dir, outputs):
    for rel in sorted(outputs):
        path = os.path.join(out_dir, rel)
        content = outputs[rel].encode("utf-8")
        try:
            with open(path, "rb") as f:
                if f.read() == content:
                    continue
        except FileNotFoundError:
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
    for top in ("CMessages", "Messages/Generated"):
        root = os.path.join(out_dir, top)
        for dirpath, dirnames, filenames in os.walk(root, topdown=False):
            for name in filenames:
                rel = os.path.relpath(os.path.join(dirpath, name), out_dir).replace(os.sep, "/")
                if is_generated(rel) and rel not in outputs:
                    os.remove(os.path.join(dirpath, name))
            if dirpath != root and not os.listdir(dirpath):
                os.rmdir(dirpath)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--descriptors", required=True, help="FileDescriptorSet from protoc-c")
    parser.add_argument("--c-dir", required=True, help="protoc-c's --c_out directory")
    parser.add_argument("--out", required=True, help="directory holding CMessages/ and Messages/")
    parser.add_argument("protos", nargs="+", help="the .proto paths, relative to Protos/")
    args = parser.parse_args()

    files = read_descriptor_set(args.descriptors)
    wanted = sorted(set(args.protos))
    by_name = {f.name: f for f in files}
    missing = [p for p in wanted if p not in by_name]
    if missing:
        raise GeneratorError(f"not in the descriptor set: {', '.join(missing)}")
    for f in files:
        if f.name not in wanted:
            raise GeneratorError(f"{f.name} is imported but is not under Protos/; "
                                 "only imports of other files under Protos/ are supported")
    selected = [by_name[p] for p in wanted]
    types = register_types(selected)
    swift_names = [t.swift_name for t in types.values()]
    if len(set(swift_names)) != len(swift_names):
        raise GeneratorError("two types get the same Swift name")
    for f in selected:
        check_file(f, types)
    check_no_value_cycles(selected, types)

    outputs = {}
    for f in selected:
        outputs["Messages/Generated/" + swift_file_name(f.name)] = FileEmitter(f, types).emit()
        stem = f.name[: -len(".proto")]
        outputs[f"CMessages/include/{stem}.pb-c.h"] = c_output(args.c_dir, f.name, "h")
        outputs[f"CMessages/{stem}.pb-c.c"] = c_output(args.c_dir, f.name, "c")
    if "Messages/Generated/ProtoRegistry.pb.swift" in outputs:
        raise GeneratorError("a .proto would overwrite ProtoRegistry.pb.swift")
    service_full = []
    for f in selected:
        for s in f.services:
            full = f"{f.package}.{s.name}" if f.package else s.name
            swift = "".join(upper_camel(p) + "_" for p in f.package.split(".") if p) + s.name
            service_full.append((full, swift))
    outputs["Messages/Generated/ProtoRegistry.pb.swift"] = emit_registry(selected, service_full)

    umbrella = [f"// Generated by {GENERATOR} from every .proto under Protos/. Do not edit.",
                "// The headers live under include/ because they include each other by their",
                "// path under Protos/ (\"certportal/rpc/v1/rpc.pb-c.h\").", ""]
    umbrella += [f'#include "{p[: -len(".proto")]}.pb-c.h"' for p in wanted]
    outputs["CMessages/include/CMessages.h"] = "\n".join(umbrella) + "\n"
    outputs["CMessages/include/module.modulemap"] = "\n".join([
        f"// Generated by {GENERATOR}. Do not edit.",
        "// Our own module map, because SwiftPM's umbrella-header layout rejects the",
        "// directories that hold the generated headers next to CMessages.h.",
        "module CMessages {",
        '    umbrella header "CMessages.h"',
        "    export *",
        "}",
    ]) + "\n"

    write_tree(args.out, outputs)


if __name__ == "__main__":
    try:
        main()
    except GeneratorError as error:
        print(f"generate-protos: {error}", file=sys.stderr)
        sys.exit(1)
