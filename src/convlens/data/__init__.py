"""convlens.data"""
