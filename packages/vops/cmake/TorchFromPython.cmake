# Finds the installed torch through the Python interpreter and defines the target vops::torch.
# Sets VOPS_TORCH_VERSION, VOPS_TORCH_CUDA_VERSION (empty for a CPU build of torch) and
# VOPS_TORCH_LIB_DIR, VOPS_NVIDIA_INCLUDE_DIRS (CUDA headers of torch's nvidia wheels, if any).
#
# find_package(Torch) is not used: on a CUDA build of torch it fails unless a complete CUDA
# toolkit is present, and a CPU-only build of vops must not need one.

execute_process(
  COMMAND "${Python_EXECUTABLE}" -c [=[
import glob, os, torch
root = os.path.dirname(torch.__file__)
print("version=" + torch.__version__)
print("cuda=" + (torch.version.cuda or ""))
print("include=" + os.path.join(root, "include") + ";" + os.path.join(root, "include", "torch", "csrc", "api", "include"))
print("lib=" + os.path.join(root, "lib"))
print("cxx11_abi=" + str(int(torch._C._GLIBCXX_USE_CXX11_ABI)))
try:
    import nvidia
    print("nvidia_include=" + ";".join(sorted(d for p in nvidia.__path__ for d in glob.glob(os.path.join(p, "cu*", "include")))))
except ImportError:
    print("nvidia_include=")
]=]
  OUTPUT_VARIABLE _torch_info
  ERROR_VARIABLE _torch_error
  RESULT_VARIABLE _torch_result)
if(NOT _torch_result EQUAL 0)
  message(FATAL_ERROR
    "vops builds against the torch installed in ${Python_EXECUTABLE}, which cannot import it:\n"
    "${_torch_error}\n"
    "Install torch first, then build vops with `pip install --no-build-isolation ./packages/vops`.")
endif()

function(_vops_torch_field key out)
  string(REGEX MATCH "(^|\n)${key}=([^\n]*)" _match "${_torch_info}")
  set(${out} "${CMAKE_MATCH_2}" PARENT_SCOPE)
endfunction()
_vops_torch_field(version VOPS_TORCH_VERSION)
_vops_torch_field(cuda VOPS_TORCH_CUDA_VERSION)
_vops_torch_field(include _torch_include_dirs)
_vops_torch_field(lib VOPS_TORCH_LIB_DIR)
_vops_torch_field(cxx11_abi _torch_cxx11_abi)
_vops_torch_field(nvidia_include VOPS_NVIDIA_INCLUDE_DIRS)
message(STATUS "vops: building against torch ${VOPS_TORCH_VERSION} (${VOPS_TORCH_LIB_DIR})")

add_library(vops::torch INTERFACE IMPORTED)
target_include_directories(vops::torch INTERFACE ${_torch_include_dirs})
target_link_directories(vops::torch INTERFACE "${VOPS_TORCH_LIB_DIR}")
target_link_libraries(vops::torch INTERFACE c10 torch_cpu torch)
target_compile_definitions(vops::torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${_torch_cxx11_abi})
