"""convlens.render"""
