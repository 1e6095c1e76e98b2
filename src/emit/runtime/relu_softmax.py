def ppvc_relu_normalized_softmax(logits, n, classes, division):
    """The paper's approximate softmax for every frame at once (Mohassel and Zhang):
    relu(u_i) / sum_j relu(u_j), or 1/C when that sum is 0.

    :param logits: sfix vector of n * classes values, frame-major
    :param division: (sum_bits, bits, iterations) of _ppvc_normalised_quotients; sum_bits is
        k - 1 + ceil(log2 classes), what a sum of classes values below sfix's limit needs
    :returns: list of `classes` sfix vectors over the n frames
    """
    # class j of every frame, picked from the registers with a stride: no trip through memory,
    # whose reads by index compile.py cannot order after the write ("Order of memory
    # instructions not preserved, errors possible")
    r = [relu(logits.get_vector(j, n, classes)) for j in range(classes)]
    quotients, positive = _ppvc_normalised_quotients(r, *division)
    uniform = sfix(1.0 / classes).expand_to_vector(n)
    return [positive.if_else(q, uniform) for q in quotients]
