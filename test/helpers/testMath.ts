import { ethers } from "hardhat";

/** The TestMath harness that exposes the internal libraries (InterestMath, ShareMath, BitMath, EvidenceLeaf). */
export async function testMathFixture() {
  const math = await (await ethers.getContractFactory("TestMath")).deploy();
  return { math };
}
