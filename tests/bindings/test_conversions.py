"""Every row of componentize-py.md §6 (0.19–0.25.1 column): the seam accepts or traps
exactly as componentize-py's runtime lowering does, and the behaviour receives what
the host would receive."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any

import pytest

import seam_probe
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.bindings.runtime import Trap
from golem_fakes.state.environment import Environment

K, E, WORLD = seam_probe.load_modules("conv")
ECHO = seam_probe.ECHO
KITCHEN = seam_probe.IFACE


@pytest.fixture
def env() -> Any:
    env = Environment()
    env.received = []  # type: ignore[attr-defined]

    def echo(env_: Any, v: Any) -> Any:
        env_.received.append(v)
        return v

    for name in seam_probe.build()[2].functions:
        env.implement(ECHO, name, echo)
    env.implement(ECHO, "echo-list-counter", lambda env_, v: env_.received.append(v))
    env.implement(KITCHEN, "[constructor]counter", lambda env_, start: {"n": start})
    env.implement(KITCHEN, "[method]counter.get", lambda env_, rep: rep["n"])
    with env:
        yield env


def traps(fn: Any, *args: Any, error: type[BaseException], match: str = "") -> Trap:
    with pytest.raises(Trap) as info:
        fn(*args)
    t = info.value
    assert isinstance(t.error, error), t
    if match:
        assert match in str(t.error), str(t)
        assert match in str(t)
    return t


# --- integers ---------------------------------------------------------------------


def test_u32_minus_one_traps(env: Any) -> None:
    t = traps(E.echo_u32, -1, error=OverflowError, match="can't convert negative int to unsigned")
    assert t.parameter == "v" and t.wit_type == "u32" and t.function == "echo-u32"
    assert t.interface == ECHO and "-1" in str(t)
    assert env.received == []


@pytest.mark.parametrize("v", [2**31, 2**32 - 1, 0])
def test_u32_upper_range_accepted(env: Any, v: int) -> None:
    assert E.echo_u32(v) == v


def test_u32_two_to_32_traps(env: Any) -> None:
    traps(E.echo_u32, 2**32, error=OverflowError, match="out of range integral type conversion attempted")


@pytest.mark.parametrize("fn,v", [("echo_u8", 300), ("echo_u16", 70000), ("echo_u8", -1),
                                  ("echo_u16", -1), ("echo_s8", 128), ("echo_s8", -129),
                                  ("echo_s16", 2**15)])
def test_small_ints_out_of_range_trap(env: Any, fn: str, v: int) -> None:
    traps(getattr(E, fn), v, error=OverflowError)


def test_u64_high_accepted_negative_traps(env: Any) -> None:
    assert E.echo_u64(2**63) == 2**63
    assert E.echo_u64(2**64 - 1) == 2**64 - 1
    traps(E.echo_u64, -5, error=OverflowError, match="can't convert negative int to unsigned")


def test_u64_returned_high_is_correct(env: Any) -> None:
    env.implement(ECHO, "echo-u64", lambda env_, v: 2**63 + 5)
    assert E.echo_u64(1) == 2**63 + 5


@pytest.mark.parametrize("fn,v", [("echo_s32", 2**31), ("echo_s64", 2**63), ("echo_u64", 2**64),
                                  ("echo_s32", -(2**31) - 1), ("echo_s64", -(2**63) - 1)])
def test_signed_and_u64_overflow_trap(env: Any, fn: str, v: int) -> None:
    traps(getattr(E, fn), v, error=OverflowError)


def test_signed_extremes_accepted(env: Any) -> None:
    assert E.echo_s64(-(2**63)) == -(2**63)
    assert E.echo_s32(2**31 - 1) == 2**31 - 1


@pytest.mark.parametrize("v,msg", [(None, "'NoneType' object cannot be interpreted as an integer"),
                                   (1.5, "'float' object cannot be interpreted as an integer"),
                                   ("1", "'str' object cannot be interpreted as an integer")])
@pytest.mark.parametrize("fn", ["echo_u32", "echo_s64", "echo_u8"])
def test_int_param_wrong_type_traps(env: Any, fn: str, v: Any, msg: str) -> None:
    traps(getattr(E, fn), v, error=TypeError, match=msg)


class Level(enum.IntEnum):
    HIGH = 7


def test_int_param_true_and_intenum_accepted(env: Any) -> None:
    assert E.echo_u32(True) == 1
    assert E.echo_s8(Level.HIGH) == 7
    assert [type(x) for x in env.received] == [int, int]  # the host gets plain ints


# --- bool ---------------------------------------------------------------------------


@pytest.mark.parametrize("v,expected", [("x", True), (None, False), ("", False), ([0], True), (0, False)])
def test_bool_is_truthiness(env: Any, v: Any, expected: bool) -> None:
    assert E.echo_bool(v) is expected


# --- floats -----------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["echo_f32", "echo_f64"])
@pytest.mark.parametrize("v,name", [("1.0", "str"), (None, "NoneType")])
def test_float_wrong_type_traps(env: Any, fn: str, v: Any, name: str) -> None:
    traps(getattr(E, fn), v, error=TypeError, match=f"must be real number, not {name}")


def test_f64_accepts_int_and_bool(env: Any) -> None:
    assert E.echo_f64(1) == 1.0 and type(E.echo_f64(1)) is float
    assert E.echo_f64(True) == 1.0


def test_f32_rounding_and_overflow(env: Any) -> None:
    assert E.echo_f32(2**200) == math.inf
    assert E.echo_f32(-(2**200)) == -math.inf
    assert E.echo_f32(0.1) == 0.10000000149011612
    assert env.received[-1] == 0.10000000149011612  # the host got an f32 too
    assert math.isnan(E.echo_f32(math.nan))


def test_f32_return_rounded(env: Any) -> None:
    env.implement(ECHO, "echo-f32", lambda env_, v: 1e40)
    assert E.echo_f32(0.0) == math.inf
    env.implement(ECHO, "echo-f32", lambda env_, v: 0.1)
    assert E.echo_f32(0.0) == 0.10000000149011612


# --- char and string -----------------------------------------------------------------------


def test_char(env: Any) -> None:
    assert E.echo_char("a") == "a"
    assert E.echo_char("\U0001F600") == "\U0001F600"  # astral characters fine
    t = traps(E.echo_char, "ab", error=Exception, match="chars().count() == 1")
    assert "Panic" in str(t)
    traps(E.echo_char, "", error=Exception, match="chars().count() == 1")
    traps(E.echo_char, 65, error=TypeError, match="'int' object cannot be converted to 'PyString'")


@pytest.mark.parametrize("v,name", [(b"x", "bytes"), (None, "NoneType"), (5, "int")])
def test_string_wrong_type_traps(env: Any, v: Any, name: str) -> None:
    traps(E.echo_string, v, error=TypeError, match=f"'{name}' object cannot be converted to 'PyString'")


def test_string_lone_surrogate_traps(env: Any) -> None:
    traps(E.echo_string, "a\ud800", error=UnicodeEncodeError)


def test_string_non_ascii_ok(env: Any) -> None:
    assert E.echo_string("grüße \U0001F600") == "grüße \U0001F600"


# --- list<u8>, list<T>, tuples ----------------------------------------------------------------


@pytest.mark.parametrize("v", ["abc", bytearray(b"ab"), [1, 2], None, memoryview(b"x")])
def test_bytes_needs_bytes(env: Any, v: Any) -> None:
    traps(E.echo_bytes, v, error=TypeError, match="cannot be converted to 'PyBytes'")


def test_bytes_roundtrip(env: Any) -> None:
    out = E.echo_bytes(b"\x00\x01")
    assert out == b"\x00\x01" and type(out) is bytes


def test_list_u32(env: Any) -> None:
    assert E.echo_list_u32([1, 2, True]) == [1, 2, 1]
    traps(E.echo_list_u32, (1, 2), error=TypeError, match="'tuple' object cannot be converted to 'PyList'")
    t = traps(E.echo_list_u32, [1, "x"], error=TypeError)
    assert "v[1]" in str(t)
    traps(E.echo_list_u32, [1, -2], error=OverflowError, match="can't convert negative int to unsigned")


def test_list_passed_to_behaviour_is_a_copy(env: Any) -> None:
    src = [1, 2]
    E.echo_list_u32(src)
    assert env.received[-1] == src and env.received[-1] is not src


def test_tuple(env: Any) -> None:
    assert E.echo_tuple((1, "a")) == (1, "a")
    traps(E.echo_tuple, [1, "a"], error=TypeError, match="'list' object cannot be converted to 'PyTuple'")
    traps(E.echo_tuple, (1,), error=IndexError, match="tuple index out of range")
    t = traps(E.echo_tuple, (1, 2), error=TypeError)
    assert "v[1]" in str(t) and "(string)" in str(t)


# --- records -------------------------------------------------------------------------------------


def test_record_none_traps(env: Any) -> None:
    traps(E.echo_point, None, error=AttributeError, match="'NoneType' object has no attribute 'x'")


@dataclass
class P:
    x: int
    y: int


@dataclass
class PL:
    x: Any
    y: Any
    label: Any


def test_record_missing_field_traps(env: Any) -> None:
    traps(E.echo_point, P(1, 2), error=AttributeError, match="'P' object has no attribute 'label'")


def test_record_wrong_field_type_traps(env: Any) -> None:
    t = traps(E.echo_point, PL(1, 2, 3), error=TypeError)
    assert "v.label" in str(t)
    traps(E.echo_point, PL(1, 2**40, "a"), error=OverflowError)


def test_record_duck_typing_accepted(env: Any) -> None:
    out = E.echo_point(PL(1, True, "a"))
    assert out == K.Point(1, 1, "a")
    # the behaviour received an instance of the generated class, fields lowered
    assert type(env.received[-1]) is K.Point and env.received[-1].y == 1


# --- variants, enums, flags ---------------------------------------------------------------------


def test_variant_exact_case_class(env: Any) -> None:
    assert E.echo_shape(K.Shape_Circle(2)) == K.Shape_Circle(2.0)
    assert E.echo_shape(K.Shape_Empty()) == K.Shape_Empty()
    assert E.echo_shape(K.Shape_Square(PL(1, 2, "s"))) == K.Shape_Square(K.Point(1, 2, "s"))


class Circle2:  # an unrelated class with the right shape
    value = 1.0


@pytest.mark.parametrize("v", [None, Circle2(), 3])
def test_variant_other_class_traps(env: Any, v: Any) -> None:
    traps(E.echo_shape, v, error=KeyError)


def test_variant_subclass_traps(env: Any) -> None:
    sub = type("MyCircle", (K.Shape_Circle,), {})
    traps(E.echo_shape, sub(1.0), error=KeyError)


def test_variant_payload_checked(env: Any) -> None:
    t = traps(E.echo_shape, K.Shape_Circle("x"), error=TypeError, match="must be real number")
    assert "v.value" in str(t)


@pytest.mark.parametrize("fn", ["echo_color", "echo_perms"])
@pytest.mark.parametrize("v,name", [(0, "int"), ("red", "str"), (None, "NoneType")])
def test_enum_flags_without_value_trap(env: Any, fn: str, v: Any, name: str) -> None:
    traps(getattr(E, fn), v, error=AttributeError, match=f"'{name}' object has no attribute 'value'")


class OtherColor(enum.Enum):
    A = 0
    B = 2


@dataclass
class HasValue:
    value: Any


def test_enum_by_number(env: Any) -> None:
    assert E.echo_color(OtherColor.B) is K.Color.BLUE
    assert E.echo_color(HasValue(1)) is K.Color.GREEN_ISH
    assert env.received[-1] is K.Color.GREEN_ISH
    traps(E.echo_color, HasValue(3), error=Exception, match="discriminant")


def test_flags_by_number(env: Any) -> None:
    assert E.echo_perms(HasValue(5)) == K.Perms.READ | K.Perms.EXEC_ALL
    assert E.echo_perms(K.Perms(0)) == K.Perms(0)
    traps(E.echo_perms, HasValue(8), error=Exception, match="bits")


# --- options and results ---------------------------------------------------------------------------


def test_option_non_nested(env: Any) -> None:
    assert E.echo_opt_u32(None) is None
    assert E.echo_opt_u32(3) == 3
    traps(E.echo_opt_u32, Some(3), error=TypeError, match="'Some' object cannot be interpreted as an integer")


def test_option_nested(env: Any) -> None:
    assert E.echo_opt_opt_u32(None) is None
    assert E.echo_opt_opt_u32(Some(None)) == Some(None)
    assert E.echo_opt_opt_u32(Some(5)) == Some(5)
    assert E.echo_opt_opt_u32(HasValue(5)) == Some(5)  # any object with .value
    traps(E.echo_opt_opt_u32, 3, error=AttributeError, match="'int' object has no attribute 'value'")


def test_result_param(env: Any) -> None:
    # echo-res returns its argument, and its return type is an outermost result
    assert E.echo_res(Ok(3)) == 3
    with pytest.raises(Err) as info:
        E.echo_res(Err("bad"))
    assert type(info.value) is Err and info.value.value == "bad"
    traps(E.echo_res, 3, error=Exception, match="entered unreachable code")
    sub = type("MyOk", (Ok,), {})
    traps(E.echo_res, sub(3), error=Exception, match="entered unreachable code")
    traps(E.echo_res, Err(3), error=TypeError, match="'int' object cannot be converted to 'PyString'")


def test_nested_result_is_a_value(env: Any) -> None:
    env.implement(KITCHEN, "opt-res", lambda env_, v: v)
    assert K.opt_res(None) is None
    assert K.opt_res(Ok(3)) == Ok(3)
    assert K.opt_res(Err("x")) == Err("x")


# --- resources ------------------------------------------------------------------------------------


@pytest.mark.parametrize("v,name", [(None, "NoneType"), (5, "int")])
def test_resource_param_without_handle_traps(env: Any, v: Any, name: str) -> None:
    env.implement(KITCHEN, "use-counter", lambda env_, rep: rep["n"])
    traps(K.use_counter, v, error=AttributeError, match=f"'{name}' object has no attribute 'handle'")


def test_list_of_borrowed_resources(env: Any) -> None:
    a, b = K.Counter(1), K.Counter(2)
    E.echo_list_counter([a, b])
    assert env.received[-1] == [{"n": 1}, {"n": 2}]
    assert a.get() == 1  # borrowed: still usable


# --- subclasses, arity ------------------------------------------------------------------------------


def test_subclasses_of_bytes_list_str_accepted(env: Any) -> None:
    B = type("B", (bytes,), {})
    L = type("L", (list,), {})
    S = type("S", (str,), {})
    assert E.echo_bytes(B(b"ab")) == b"ab"
    assert E.echo_list_u32(L([1])) == [1]
    assert E.echo_string(S("hi")) == "hi"
    assert [type(x) for x in env.received] == [bytes, list, str]


def test_missing_argument_is_an_ordinary_type_error(env: Any) -> None:
    with pytest.raises(TypeError):
        E.echo_u32()  # type: ignore[call-arg]
    try:
        E.echo_u32(1, 2)  # type: ignore[call-arg]
    except Exception as e:  # catchable, unlike a trap
        assert isinstance(e, TypeError)


def test_keyword_arguments_work(env: Any) -> None:
    assert E.echo_u32(v=4) == 4
    env.implement(KITCHEN, "in", lambda env_, x: x + 1)
    assert K.in_(in_=1) == 2


# --- properties -----------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from golem_fakes.wit.model import INT_RANGES  # noqa: E402

_ECHO_INT = {"u8": "echo_u8", "u16": "echo_u16", "u32": "echo_u32", "u64": "echo_u64",
             "s8": "echo_s8", "s16": "echo_s16", "s32": "echo_s32", "s64": "echo_s64"}


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(_ECHO_INT)), v=st.integers(min_value=-(2**70), max_value=2**70))
def test_int_accepted_iff_in_range(kind: str, v: int) -> None:
    lo, hi = INT_RANGES[kind]
    with Environment() as env:
        env.implement(ECHO, _ECHO_INT[kind].replace("_", "-"), lambda e, x: x)
        fn = getattr(E, _ECHO_INT[kind])
        if lo <= v <= hi:
            assert fn(v) == v
        else:
            with pytest.raises(Trap) as info:
                fn(v)
            assert isinstance(info.value.error, OverflowError)


@settings(max_examples=200, deadline=None)
@given(v=st.floats(allow_nan=False))
def test_f32_matches_single_precision(v: float) -> None:
    import struct

    with Environment() as env:
        env.implement(ECHO, "echo-f32", lambda e, x: x)
        try:
            expected = struct.unpack("<f", struct.pack("<f", v))[0]
        except OverflowError:
            expected = math.copysign(math.inf, v)
        assert E.echo_f32(v) == expected


@settings(max_examples=200, deadline=None)
@given(v=st.text())
def test_strings_round_trip(v: str) -> None:
    with Environment() as env:
        env.implement(ECHO, "echo-string", lambda e, x: x)
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            with pytest.raises(Trap):
                E.echo_string(v)
        else:
            assert E.echo_string(v) == v


def test_char_lone_surrogate_traps(env: Any) -> None:
    traps(E.echo_char, "\ud800", error=UnicodeEncodeError)
