def _ppvc_conv2ds(inputs, weights, input_hw, output_hw, kernel, strides, padding, channels_in, n):
    """One output channel of a 2-D convolution of n frames in a single conv2ds instruction
    (the secret products summed in the protocol, not one by one): `inputs` the n frames'
    (input_hw, channels_in) values, `weights` the channel's kernel; the n * output_hw sums,
    untruncated."""
    output_h, output_w = output_hw
    res = sint(size=output_h * output_w * n)
    conv2ds(
        res, inputs, weights, *output_hw, *input_hw, *kernel, *strides, channels_in, *padding, n
    )
    return res
