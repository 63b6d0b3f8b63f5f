"""convlens.analyze"""
