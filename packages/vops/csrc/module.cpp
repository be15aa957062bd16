// The vops._C extension module. Loading it registers the ops (TORCH_LIBRARY blocks in ops/) with
// the PyTorch dispatcher; the module itself only reports how it was built.
#include <pybind11/pybind11.h>

namespace py = pybind11;

PYBIND11_MODULE(_C, m) {
  m.doc() = "Compiled vops kernels, registered with the PyTorch dispatcher under torch.ops.vops";
  m.def(
      "build_info",
      [] {
        py::dict info;
        info["vops_version"] = VOPS_VERSION;
        info["torch_version"] = VOPS_TORCH_VERSION;
        info["cuda"] = static_cast<bool>(VOPS_WITH_CUDA);
        if (VOPS_WITH_CUDA) {
          info["cuda_version"] = VOPS_CUDA_VERSION;
        } else {
          info["cuda_version"] = py::none();
        }
        return info;
      },
      "How this extension was built: vops and torch versions, CUDA kernels and CUDA version.");
}
