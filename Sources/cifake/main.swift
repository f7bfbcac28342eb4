print("cifake")
