"""convlens.testing"""
