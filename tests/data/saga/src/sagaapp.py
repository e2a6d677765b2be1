"""A two-step saga — reserve stock, then charge — written with golem-cloud 0.2.0's
transaction helpers, used unchanged (``golem_cloud.transaction``). The charge fails
for amounts over 100 (the fallible saga then compensates the reservation) and, for the
infallible saga, on the first attempt of each order (it then jumps back with
``set-oplog-index`` and runs again)."""

from golem_cloud.transaction import fallible_transaction, infallible_transaction, operation
from wit_world import exports
from wit_world.imports import eventual
from wit_world.imports import wasi_keyvalue_types as kv
from wit_world.types import Err, Ok


def _bucket():
    return kv.Bucket.open_bucket("saga")


def _get(key):
    v = eventual.get(_bucket(), key)
    return v.incoming_value_consume_sync().decode() if v is not None else None


def _put(key, text):
    out = kv.OutgoingValue.new_outgoing_value()
    out.outgoing_value_write_body_sync(text.encode())
    eventual.set(_bucket(), key, out)


def reserve(args):
    order, amount = args
    _put(f"reserved:{order}", str(amount))
    return Ok(amount)


def unreserve(args, _reserved):
    order, _ = args
    eventual.delete(_bucket(), f"reserved:{order}")
    return Ok(None)


def charge(args):
    order, amount = args
    attempts = int(_get(f"attempts:{order}") or "0") + 1
    _put(f"attempts:{order}", str(attempts))
    if amount > 100:
        return Err("card declined")
    if order.startswith("retry") and attempts == 1:
        return Err("gateway timeout")
    charges = _get("charges") or ""
    _put("charges", charges + f"{order}={amount};")
    return Ok(f"charge-{order}")


def refund(args, _charge_id):
    order, _ = args
    _put("refunds", (_get("refunds") or "") + f"{order};")
    return Ok(None)


RESERVE = operation(reserve, unreserve)
CHARGE = operation(charge, refund)


class Api(exports.Api):
    def fallible(self, order, amount):
        def run(tx):
            r = tx.execute(RESERVE, (order, amount))
            if isinstance(r, Err):
                return r
            return tx.execute(CHARGE, (order, amount))

        result = fallible_transaction(run)
        if isinstance(result, Err):
            return f"failed:{type(result.value).__name__}:{result.value.error}"
        return f"ok:{result.value}"

    def infallible(self, order, amount):
        def run(tx):
            tx.execute(RESERVE, (order, amount))
            return tx.execute(CHARGE, (order, amount))

        return f"ok:{infallible_transaction(run)}"
