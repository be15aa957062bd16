"""Fixtures any test module may ask for by name."""

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """torch on one thread for a module, restored afterwards: tiny matrix products and
    reductions (grids, rotated clamping) run threaded and then wait milliseconds each for a
    second thread on a busy machine, so a module of them would mostly wait (the results are
    the same)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
