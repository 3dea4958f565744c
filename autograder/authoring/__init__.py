"""What only kit authors run: the TensorFlow/Keras oracle of every exercise function and
the regeneration of the stored expected values.
"""
