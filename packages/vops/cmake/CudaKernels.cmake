# Decides whether the CUDA kernels are built and, if so, enables CUDA and defines vops::torch_cuda.
#
# VOPS_CUDA (cache variable, or environment variable, which wins so that `pip install` honours it):
#   AUTO  build them when torch is a CUDA build and a CUDA toolkit is found (default)
#   ON    build them or fail
#   OFF   never build them
# Architectures: TORCH_CUDA_ARCH_LIST (environment; e.g. "8.0;9.0+PTX", the default).
# Result: VOPS_WITH_CUDA (ON/OFF) and VOPS_CUDA_VERSION.

set(VOPS_CUDA "AUTO" CACHE STRING "Build the CUDA kernels: AUTO, ON or OFF")
set_property(CACHE VOPS_CUDA PROPERTY STRINGS AUTO ON OFF)
# The environment decides this configure run only; it is not written into the cache, so a later
# build without the variable goes back to the cached setting (AUTO by default).
if(DEFINED ENV{VOPS_CUDA})
  string(TOUPPER "$ENV{VOPS_CUDA}" _vops_cuda)
else()
  string(TOUPPER "${VOPS_CUDA}" _vops_cuda)
endif()
if(NOT _vops_cuda MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "VOPS_CUDA must be AUTO, ON or OFF, got '${_vops_cuda}'")
endif()

set(VOPS_WITH_CUDA OFF)
set(VOPS_CUDA_VERSION "")
if(_vops_cuda STREQUAL "OFF")
  message(STATUS "vops: CUDA kernels not built (VOPS_CUDA=OFF)")
  return()
endif()

set(_missing "")
if(VOPS_TORCH_CUDA_VERSION STREQUAL "")
  set(_missing "torch ${VOPS_TORCH_VERSION} is not a CUDA build")
else()
  # The nvcc on PATH may be a wrapper outside the toolkit; prefer the toolkit's own.
  if(NOT CMAKE_CUDA_COMPILER)
    foreach(_root IN ITEMS "$ENV{CUDA_HOME}" "$ENV{CUDA_PATH}" /usr/local/cuda)
      if(_root AND EXISTS "${_root}/bin/nvcc")
        set(CMAKE_CUDA_COMPILER "${_root}/bin/nvcc")
        break()
      endif()
    endforeach()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    set(_missing "no CUDA toolkit (nvcc) was found; set CUDA_HOME")
  endif()
endif()
if(_missing)
  if(_vops_cuda STREQUAL "ON")
    message(FATAL_ERROR "VOPS_CUDA=ON, but ${_missing}")
  endif()
  message(STATUS "vops: CUDA kernels not built: ${_missing}")
  return()
endif()

# TORCH_CUDA_ARCH_LIST entries such as "8.0" or "9.0+PTX" -> CMake's "80-real;90-real;90-virtual".
set(_arch_list "8.0;9.0+PTX")
if(DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  string(REPLACE " " ";" _arch_list "$ENV{TORCH_CUDA_ARCH_LIST}")
endif()
set(CMAKE_CUDA_ARCHITECTURES "")
foreach(_arch IN LISTS _arch_list)
  if(NOT _arch MATCHES "^([0-9]+)\\.([0-9]+)([af]?)(\\+PTX)?$")
    message(FATAL_ERROR "TORCH_CUDA_ARCH_LIST: cannot read '${_arch}' (expected e.g. 8.0 or 9.0+PTX)")
  endif()
  set(_sm "${CMAKE_MATCH_1}${CMAKE_MATCH_2}${CMAKE_MATCH_3}")
  list(APPEND CMAKE_CUDA_ARCHITECTURES "${_sm}-real")
  if(CMAKE_MATCH_4)
    list(APPEND CMAKE_CUDA_ARCHITECTURES "${_sm}-virtual")
  endif()
endforeach()

enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 20)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
find_package(CUDAToolkit REQUIRED)
set(VOPS_WITH_CUDA ON)
set(VOPS_CUDA_VERSION "${CUDAToolkit_VERSION}")
message(STATUS "vops: building CUDA kernels with CUDA ${VOPS_CUDA_VERSION} for ${CMAKE_CUDA_ARCHITECTURES}")

add_library(vops::torch_cuda INTERFACE IMPORTED)
# torch's CUDA headers include cuBLAS, cuSPARSE, ... headers that ship in torch's nvidia wheels.
target_include_directories(vops::torch_cuda INTERFACE ${VOPS_NVIDIA_INCLUDE_DIRS})
target_link_libraries(vops::torch_cuda INTERFACE vops::torch c10_cuda torch_cuda CUDA::cudart)
