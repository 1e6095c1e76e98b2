def ppvc_exact_softmax(logits, n, classes, division):
    """Softmax for every frame: MP-SPDZ's exponentials (ml.exp_for_softmax), divided as the
    ReLU-normalised softmax divides (_ppvc_normalised_quotients).

    ml.softmax divides with sfix, but its shift makes the largest exponential 2^(k-f-1) / C, so
    the exponentials of C about equal logits sum to sfix's limit 2^(k-f-1) less only the
    exponential's own error (5e-5 of it at precision 16 31): a sum at the limit reads as
    negative in the division's sign test. Here the sum is held in k + 1 bits.

    :param logits: sfix vector of n * classes values, frame-major
    :param division: (sum_bits, bits, iterations) of _ppvc_normalised_quotients
    :returns: list of `classes` sfix vectors over the n frames
    """
    # registers only, frame by frame (see ppvc_relu_normalized_softmax)
    rows = [exp_for_softmax(logits.get_vector(i * classes, classes))[0] for i in range(n)]
    r = [sfix.concat([row[j] for row in rows]) for j in range(classes)]
    return _ppvc_normalised_quotients(r, *division)[0]
