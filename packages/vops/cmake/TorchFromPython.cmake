# Finds the installed torch through the Python interpreter and defines the target vops::torch.
#
# find_package(Torch) is not used: on a CUDA build of torch it fails unless a complete CUDA
# toolkit is present, and a CPU-only build of vops must not need one.

execute_process(
  COMMAND "${Python_EXECUTABLE}" -c [=[
import os, torch
root = os.path.dirname(torch.__file__)
print(torch.__version__)
print(os.path.join(root, "include") + ";" + os.path.join(root, "include", "torch", "csrc", "api", "include"))
print(os.path.join(root, "lib"))
print(int(torch._C._GLIBCXX_USE_CXX11_ABI))
]=]
  OUTPUT_VARIABLE _torch_info
  ERROR_VARIABLE _torch_error
  RESULT_VARIABLE _torch_result
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _torch_result EQUAL 0)
  message(FATAL_ERROR
    "vops builds against the torch installed in ${Python_EXECUTABLE}, which cannot import it:\n"
    "${_torch_error}\n"
    "Install torch first, then build vops with `pip install --no-build-isolation ./packages/vops`.")
endif()
string(REPLACE "\n" ";" _torch_info "${_torch_info}")
list(GET _torch_info 0 VOPS_TORCH_VERSION)
list(SUBLIST _torch_info 1 2 _torch_include_dirs)
list(GET _torch_info 3 _torch_lib_dir)
list(GET _torch_info 4 _torch_cxx11_abi)
message(STATUS "vops: building against torch ${VOPS_TORCH_VERSION} (${_torch_lib_dir})")

add_library(vops::torch INTERFACE IMPORTED)
target_include_directories(vops::torch INTERFACE ${_torch_include_dirs})
target_link_directories(vops::torch INTERFACE "${_torch_lib_dir}")
target_link_libraries(vops::torch INTERFACE c10 torch_cpu torch)
target_compile_definitions(vops::torch INTERFACE _GLIBCXX_USE_CXX11_ABI=${_torch_cxx11_abi})
