"""Start localstripe on a port with its state file where LOCALSTRIPE_STATE says (it hard-codes /tmp)."""

import os
import pickle
import sys

from localstripe import resources, server

STATE = os.environ["LOCALSTRIPE_STATE"]


def load(store) -> None:
    try:
        with open(STATE, "rb") as f:
            store.clear()
            store.update(pickle.load(f))  # noqa: S301 - our own state file in a private temp folder
    except FileNotFoundError:
        pass


def dump(store) -> None:
    with open(STATE, "wb") as f:
        pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)


resources.Store.try_load_from_disk = load
resources.Store.dump_to_disk = dump
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
server.start()
