#!/usr/bin/env python3
"""Zero-copy DLPack exchange between trtutils and PyTorch, both directions,
host and CUDA memory.

    python3 tests/python/test_dlpack_torch.py path/to/libtrtutils_dlpack_pytest.so

The library (tests/python/dlpack_bridge.cpp) is trtutils' to_dlpack /
to_dlpack_borrowed / from_dlpack behind a C ABI. Exported DLManagedTensors are
wrapped in PyCapsules named "dltensor" and handed to
torch.utils.dlpack.from_dlpack, which renames a consumed capsule to
"used_dltensor" and owns the tensor from then on. In the other direction,
torch.utils.dlpack.to_dlpack capsules are opened here, renamed to
"used_dltensor" (so that the capsule's destructor leaves the tensor alone: the
consumer, trtutils, now calls the deleter) and given to bridge_import_sum.

Zero copy is checked by addresses (torch's data_ptr() against the DLPack data
pointer) and by writes through one side being seen by the other; the deleter
contract by the bridge's release counter (exports) and by torch's CUDA memory
returning to its baseline (imports: torch's deleter drops its reference).

Standard library and torch only; prints one line per test, then
"dlpack-torch: N passed, N failed", and exits 1 on any failure.
"""
import ctypes
import gc
import math
import pathlib
import sys
import traceback

# --- CPython's capsule API through ctypes ---------------------------------
_api = ctypes.pythonapi
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]

# A capsule keeps a pointer to its name, not a copy: these buffers live as
# long as the module.
_DLTENSOR = ctypes.create_string_buffer(b"dltensor")
_USED_DLTENSOR = ctypes.create_string_buffer(b"used_dltensor")


def capsule_of(managed):
    """A "dltensor" capsule around an exported DLManagedTensor* (no destructor:
    the test hands every one to torch, which consumes it)."""
    return _api.PyCapsule_New(managed, _DLTENSOR, None)


def capsule_name_is(capsule, name):
    return _api.PyCapsule_IsValid(capsule, name.encode()) == 1


def consume(capsule):
    """Takes the DLManagedTensor* out of a torch capsule and marks the capsule
    consumed, as the DLPack spec asks of a consumer."""
    managed = _api.PyCapsule_GetPointer(capsule, _DLTENSOR)
    assert managed, "to_dlpack gave a capsule with a null DLManagedTensor"
    assert _api.PyCapsule_SetName(capsule, _USED_DLTENSOR) == 0, "PyCapsule_SetName failed"
    return managed


# --- the bridge library ---------------------------------------------------
def load_bridge(path):
    lib = ctypes.CDLL(str(path))
    for name in ("bridge_export_host", "bridge_export_cuda"):
        getattr(lib, name).restype = ctypes.c_void_p
        getattr(lib, name).argtypes = [ctypes.c_int]
    lib.bridge_import_sum.restype = ctypes.c_double
    lib.bridge_import_sum.argtypes = [ctypes.c_void_p]
    lib.bridge_data_pointer.restype = ctypes.c_ulonglong
    lib.bridge_data_pointer.argtypes = [ctypes.c_void_p]
    lib.bridge_last_import_pointer.restype = ctypes.c_ulonglong
    lib.bridge_last_import_pointer.argtypes = []
    lib.bridge_release_count.restype = ctypes.c_int
    lib.bridge_release_count.argtypes = []
    lib.bridge_last_error.restype = ctypes.c_char_p
    lib.bridge_last_error.argtypes = []
    return lib


lib = None
torch = None
from_dlpack = None
to_dlpack = None


def last_error():
    return lib.bridge_last_error().decode(errors="replace")


def export(kind, n):
    managed = getattr(lib, f"bridge_export_{kind}")(n)
    assert managed, f"bridge_export_{kind}({n}) failed: {last_error()}"
    return managed


def import_sum(tensor):
    """Hands `tensor` to trtutils through torch.utils.dlpack.to_dlpack; returns
    (sum, address trtutils read, error message)."""
    capsule = to_dlpack(tensor)
    managed = consume(capsule)
    assert lib.bridge_data_pointer(managed) == tensor.data_ptr(), (
        "torch's DLManagedTensor does not point at the tensor's memory")
    total = lib.bridge_import_sum(managed)
    return total, lib.bridge_last_import_pointer(), last_error()


def collect():
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.synchronize()


# --- trtutils -> torch ----------------------------------------------------
def test_host_export_is_zero_copy_and_released_once():
    n = 16
    managed = export("host", n)
    address = lib.bridge_data_pointer(managed)
    released = lib.bridge_release_count()
    capsule = capsule_of(managed)
    tensor = from_dlpack(capsule)
    assert capsule_name_is(capsule, "used_dltensor"), "torch did not mark the capsule consumed"
    assert tensor.device == torch.device("cpu"), tensor.device
    assert tensor.dtype == torch.float32, tensor.dtype
    assert tuple(tensor.shape) == (n,), tensor.shape
    assert tensor.tolist() == [0.5 * i for i in range(n)], tensor.tolist()
    assert tensor.data_ptr() == address, (hex(tensor.data_ptr()), hex(address))
    # A write through torch lands in the memory trtutils exported.
    tensor[3] = 100.0
    assert ctypes.c_float.from_address(address + 3 * 4).value == 100.0
    # A view keeps the storage (and so the export) alive; the last owner releases it once.
    view = tensor[2:]
    del tensor
    collect()
    assert lib.bridge_release_count() == released, "released while a torch view still used it"
    assert view[1].item() == 100.0
    del view
    collect()
    assert lib.bridge_release_count() == released + 1, (
        f"deleter ran {lib.bridge_release_count() - released} times, expected once")
    collect()
    assert lib.bridge_release_count() == released + 1, "deleter ran again"


def test_cuda_export_is_zero_copy_and_released_once():
    assert torch.cuda.is_available(), "torch sees no CUDA device"
    n = 1000
    managed = export("cuda", n)
    address = lib.bridge_data_pointer(managed)
    released = lib.bridge_release_count()
    capsule = capsule_of(managed)
    tensor = from_dlpack(capsule)
    assert capsule_name_is(capsule, "used_dltensor"), "torch did not mark the capsule consumed"
    assert tensor.device == torch.device("cuda", 0), tensor.device
    assert tensor.dtype == torch.float32, tensor.dtype
    assert tuple(tensor.shape) == (n,), tensor.shape
    assert tensor.data_ptr() == address, (hex(tensor.data_ptr()), hex(address))
    assert tensor.cpu().tolist() == [1.5 * i - 3.0 for i in range(n)]
    # Round trip: torch writes in place, trtutils reads the same address back.
    tensor.mul_(2.0)
    torch.cuda.synchronize()
    total, seen, error = import_sum(tensor)
    assert not math.isnan(total), error
    assert seen == address, (hex(seen), hex(address))
    assert total == sum(2.0 * (1.5 * i - 3.0) for i in range(n)), total
    collect()
    assert lib.bridge_release_count() == released, "released while torch still holds the tensor"
    del tensor
    collect()
    assert lib.bridge_release_count() == released + 1, (
        f"deleter ran {lib.bridge_release_count() - released} times, expected once")


# --- torch -> trtutils ----------------------------------------------------
def test_torch_cpu_float32_import_is_zero_copy():
    tensor = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * 0.25
    total, seen, error = import_sum(tensor)
    assert not math.isnan(total), error
    assert seen == tensor.data_ptr(), (hex(seen), hex(tensor.data_ptr()))
    assert total == tensor.double().sum().item() == 0.25 * 276, total


def check_cuda_import(make, exact_sum):
    """Imports the tensor `make()` builds on the GPU and checks the sum, the
    address, and that torch's memory comes back once trtutils released it."""
    assert torch.cuda.is_available(), "torch sees no CUDA device"
    collect()
    baseline = torch.cuda.memory_allocated()
    tensor = make()
    torch.cuda.synchronize()  # the legacy to_dlpack does no stream handshake
    assert torch.cuda.memory_allocated() > baseline
    total, seen, error = import_sum(tensor)
    assert not math.isnan(total), error
    assert seen == tensor.data_ptr(), (hex(seen), hex(tensor.data_ptr()))
    assert total == exact_sum, (total, exact_sum)
    del tensor
    collect()
    # Had trtutils not run torch's deleter, the DLManagedTensor would still
    # hold a reference and keep the allocation.
    assert torch.cuda.memory_allocated() == baseline, (
        "torch's memory was not released: the DLPack deleter did not run")


def test_torch_cuda_float16_import_is_zero_copy_and_released():
    # Multiples of 0.25 below 16 are exact in float16: the sum has an exact oracle.
    n = 1 << 16
    exact = float(sum((i % 64) * 0.25 for i in range(n)))
    check_cuda_import(
        lambda: ((torch.arange(n, device="cuda") % 64) * 0.25).to(torch.float16).reshape(256, 256),
        exact)


def test_torch_cuda_int64_import_is_zero_copy_and_released():
    exact = sum(i * 1_000_003 + 7 for i in range(-500, 500))
    check_cuda_import(
        lambda: (torch.arange(-500, 500, device="cuda", dtype=torch.int64) * 1_000_003 + 7)
        .reshape(10, 100),
        float(exact))


def test_non_contiguous_cpu_tensor_is_refused_with_a_clear_message():
    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()
    assert not tensor.is_contiguous()
    total, seen, error = import_sum(tensor)
    assert math.isnan(total), f"a transposed tensor was accepted (sum {total})"
    assert seen == 0
    assert "contiguous" in error and "strides" in error, error
    print(f"    refused as expected: {error}")
    # The message's remedy works.
    total, _, error = import_sum(tensor.contiguous())
    assert total == 66.0, (total, error)


def test_non_contiguous_cuda_tensor_is_refused_and_released():
    assert torch.cuda.is_available(), "torch sees no CUDA device"
    collect()
    baseline = torch.cuda.memory_allocated()
    tensor = torch.arange(4096, device="cuda", dtype=torch.float32).reshape(64, 64).t()
    torch.cuda.synchronize()
    total, seen, error = import_sum(tensor)
    assert math.isnan(total), f"a transposed tensor was accepted (sum {total})"
    assert "contiguous" in error, error
    del tensor
    collect()
    assert torch.cuda.memory_allocated() == baseline, (
        "a refused tensor was not released: from_dlpack must run the deleter when it throws")


TESTS = [value for name, value in list(globals().items()) if name.startswith("test_")]


def main():
    global lib, torch, from_dlpack, to_dlpack
    path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                        pathlib.Path(__file__).with_name("libtrtutils_dlpack_pytest.so"))
    try:
        import torch as torch_module
        import torch.utils.dlpack as dlpack_module
        torch = torch_module
        from_dlpack = dlpack_module.from_dlpack
        to_dlpack = getattr(dlpack_module, "to_dlpack", None) or torch._C._to_dlpack
        lib = load_bridge(path)
    except Exception:  # noqa: BLE001 - reported as a failure, not a crash
        traceback.print_exc()
        print("FAILED setup (torch or the bridge library could not be loaded)")
        print(f"dlpack-torch: 0 passed, {len(TESTS)} failed")
        return 1
    print(f"torch {torch.__version__}, cuda {torch.version.cuda}, "
          f"device {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")
    passed = failed = 0
    for test in TESTS:
        try:
            test()
        except Exception as error:  # noqa: BLE001 - AssertionError and anything torch raises
            failed += 1
            print(f"FAILED {test.__name__}: {type(error).__name__}: {error}")
            traceback.print_exc()
        else:
            passed += 1
            print(f"ok     {test.__name__}")
    print(f"dlpack-torch: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
