"""Overlapping max pooling (pool > stride) for hls4ml's io_stream, as an hls4ml extension.

hls4ml 1.3's streaming pooling asserts pool == stride. SqueezeNet pools 3x3 with stride 2, so
we add a layer type ``OverlapMaxPooling2D``, an optimizer pass that swaps it in for such
``MaxPooling2D`` nodes, its config/function templates, and its C++ source
(``fpga_overlap_pool.h``) — all through hls4ml's public extension points.
"""
from __future__ import annotations

from pathlib import Path

import hls4ml
from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
from hls4ml.backends.vivado.passes.pooling_templates import pooling2d_config_template
from hls4ml.model.layers import Pooling2D
from hls4ml.model.optimizer import OptimizerPass

HEADER = Path(__file__).with_name("fpga_overlap_pool.h")


class OverlapMaxPooling2D(Pooling2D):
    """Max pooling whose windows may overlap; same attributes as hls4ml's Pooling2D."""

    def initialize(self):
        super().initialize()
        self.set_attr("pool_op", "Max")


class OverlapPoolConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(OverlapMaxPooling2D)

    def format(self, node):
        params = self._default_config_params(node)
        return pooling2d_config_template.format(**params)


class OverlapPoolFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(OverlapMaxPooling2D, include_header=[f"nnet_utils/{HEADER.name}"])

    def format(self, node):
        params = self._default_function_params(node)
        return "fpga::overlap_maxpool2d_cl<{input_t}, {output_t}, {config}>({input}, {output});".format(
            **params)


def is_overlapping(node) -> bool:
    return (node.get_attr("pool_height") != node.get_attr("stride_height")
            or node.get_attr("pool_width") != node.get_attr("stride_width"))


class UseOverlapMaxPool(OptimizerPass):
    """Replace a streaming MaxPooling2D whose pool differs from its stride."""

    def match(self, node):
        return (node.class_name == "Pooling2D" and node.get_attr("pool_op") == "Max"
                and node.model.config.get_config_value("IOType") == "io_stream"
                and is_overlapping(node))

    def transform(self, model, node):
        if any(node.get_attr(p, 0) for p in ("pad_top", "pad_bottom", "pad_left", "pad_right")):
            raise ValueError(f"{node.name}: overlapping max pooling supports padding='valid' only")
        attrs = {k: v for k, v in node.attributes.items()
                 if k not in ("class_name", "name", "inputs", "outputs")}
        attrs["class_name"] = "OverlapMaxPooling2D"
        new = model.make_node(OverlapMaxPooling2D, node.name, attrs, node.inputs.copy(),
                              node.outputs.copy())
        new.get_output_variable().type.precision = node.get_output_variable().type.precision
        model.replace_node(node, new)
        return True


_registered = False


def register() -> None:
    """Register the layer, pass, templates and C++ source with the Vivado/Vitis backends."""
    global _registered
    if _registered:
        return
    hls4ml.model.layers.register_layer("OverlapMaxPooling2D", OverlapMaxPooling2D)
    # The Vitis flow runs the Vivado optimize flow, so one pass registration covers both.
    hls4ml.backends.get_backend("Vivado").register_pass(
        "fpga_use_overlap_maxpool", UseOverlapMaxPool, flow="vivado:optimize")
    for name in ("Vivado", "Vitis"):
        backend = hls4ml.backends.get_backend(name)
        backend.register_template(OverlapPoolConfigTemplate)
        backend.register_template(OverlapPoolFunctionTemplate)
        backend.register_source(HEADER)
    _registered = True
