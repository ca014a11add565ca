"""What the official `stripe` Python library (16.0.x, API version 2026-09-30.endive) says each
object looks like, read from its typed classes and turned into small JSON type descriptors:

  "s" string, "i" integer, "f" number, "d" decimal in a string, "b" boolean, "a" anything,
  {"e": [...]} one of these strings, {"n": t} t or null, {"l": t} array of t,
  {"m": t} object of t by key, {"x": name} an id or the expanded object `name`,
  {"r": name} the object `name`, {"L": t} a list object of t, {"o": {field: t}} a nested object.

`generate.py` writes them for the sandbox; `walk.py` checks the sandbox's answers with them.
"""
import ast
import decimal
import importlib
import inspect
import typing

import stripe
from stripe._expandable_field import ExpandableField  # noqa: F401  (resolves forward refs)
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject

# The objects the sandbox serves, by their `object` value.
SERVED = [
    "checkout.session", "item", "customer", "subscription", "subscription_item", "invoice",
    "line_item", "price", "plan", "product", "payment_method", "payment_intent", "event",
    "test_helpers.test_clock", "billing_portal.session", "billing_portal.configuration",
    "charge", "refund", "invoice_payment", "dispute",
]


def top_class(name):
    module, cls = OBJECT_CLASSES[name]
    return getattr(importlib.import_module(module), cls)


_OBJECT_OF = {}
for _name in OBJECT_CLASSES:
    try:
        _OBJECT_OF[top_class(_name)] = _name
    except Exception:  # a class the library lists but cannot import: never served
        pass


def _type_checking_names(module):
    """The names a module imports under `if TYPE_CHECKING:`, imported now."""
    names = {}
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom) and not imp.module.startswith("stripe.params"):
                    mod = importlib.import_module(imp.module)
                    for alias in imp.names:
                        names[alias.asname or alias.name] = getattr(mod, alias.name)
    return names


_NAMESPACES = {}


def _namespace(cls):
    module = inspect.getmodule(cls)
    if module.__name__ not in _NAMESPACES:
        ns = dict(vars(typing))
        ns.update(vars(module))
        ns.update(_type_checking_names(module))
        _NAMESPACES[module.__name__] = ns
    return _NAMESPACES[module.__name__]


def fields(cls):
    """The annotated fields of a StripeObject class (its own and its typed bases')."""
    out = {}
    for base in reversed(cls.__mro__):
        if base is StripeObject or not (isinstance(base, type) and issubclass(base, StripeObject)):
            continue
        for name, tp in base.__dict__.get("__annotations__", {}).items():
            if typing.get_origin(tp) is typing.ClassVar or name.startswith("_"):
                continue
            out[name] = (tp, base)
    return out


def _resolve(tp, owner):
    if isinstance(tp, str):
        return eval(tp, _namespace(owner))
    if isinstance(tp, typing.ForwardRef):
        return eval(tp.__forward_arg__, _namespace(owner))
    return tp


def describe(tp, owner, depth=0):
    tp = _resolve(tp, owner)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if depth > 12:
        return "a"
    if tp is str:
        return "s"
    if tp is bool:
        return "b"
    if tp is int:
        return "i"
    if tp is float:
        return "f"
    if tp is decimal.Decimal:
        return "d"
    if tp is typing.Any or tp is object:
        return "a"
    if origin is typing.Literal:
        return {"e": list(args)}
    if origin is typing.Union:
        args = [_resolve(a, owner) for a in args]
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        literals = [a for a in rest if typing.get_origin(a) is typing.Literal]
        if literals and all(a is str or typing.get_origin(a) is typing.Literal for a in rest):
            inner = {"e": [v for a in literals for v in typing.get_args(a)]}
        elif len(rest) == 2 and str in rest:  # ExpandableField: an id or the object
            obj = next(a for a in rest if a is not str)
            inner = {"x": _OBJECT_OF.get(obj)} if obj in _OBJECT_OF else "a"
        elif len(rest) == 1:
            inner = describe(rest[0], owner, depth + 1)
        else:
            inner = "a"
        return {"n": inner} if nullable else inner
    if origin in (list, typing.List):
        return {"l": describe(args[0], owner, depth + 1)}
    if origin in (dict, typing.Dict):
        return {"m": describe(args[1], owner, depth + 1)}
    if origin is ListObject:
        return {"L": describe(args[0], owner, depth + 1)}
    if inspect.isclass(tp) and issubclass(tp, StripeObject):
        if tp in _OBJECT_OF and tp is not owner:
            return {"r": _OBJECT_OF[tp]}
        if tp.__name__ == "UntypedStripeObject" or not fields(tp):
            return "a"
        return {"o": {n: describe(t, b, depth + 1) for n, (t, b) in fields(tp).items()}}
    return "a"


def object_shape(name):
    cls = top_class(name)
    return {n: describe(t, b) for n, (t, b) in fields(cls).items()}


def shapes():
    return {name: object_shape(name) for name in SERVED}
